package bot

import (
	"encoding/csv"
	"io"
	"strings"
)

// formulaStarts are the first characters that make a spreadsheet read a
// cell as a formula (OWASP, "CSV Injection").
const formulaStarts = "=+-@\t\r"

// CSVCell guards one cell of a CSV the service writes: a cell starting
// with =, +, -, @, tab or CR gets a leading single quote, so a spreadsheet
// shows it as text instead of running it. A cell that is already quotes
// before such a character gets one more, so CSVUnguard gives it back.
func CSVCell(s string) string {
	if guarded(s) {
		return "'" + s
	}
	return s
}

// CSVUnguard reads back a cell CSVCell wrote: the import takes the
// service's own exports.
func CSVUnguard(s string) string {
	if strings.HasPrefix(s, "'") && guarded(s[1:]) {
		return s[1:]
	}
	return s
}

// guarded reports whether s, past any leading quotes, starts a formula.
func guarded(s string) bool {
	rest := strings.TrimLeft(s, "'")
	return rest != "" && strings.IndexByte(formulaStarts, rest[0]) >= 0
}

// CSVWriter writes CSV with every cell guarded by CSVCell. Every CSV the
// service writes goes through one.
type CSVWriter struct {
	w   *csv.Writer
	rec []string
}

// NewCSVWriter writes guarded CSV to w.
func NewCSVWriter(w io.Writer) *CSVWriter { return &CSVWriter{w: csv.NewWriter(w)} }

// Write writes one record, each cell guarded; rec is left as it was.
func (c *CSVWriter) Write(rec []string) error {
	c.rec = c.rec[:0]
	for _, s := range rec {
		c.rec = append(c.rec, CSVCell(s))
	}
	return c.w.Write(c.rec)
}

// Flush writes any buffered data to the underlying writer.
func (c *CSVWriter) Flush() { c.w.Flush() }

// Error is the first error of a Write or Flush.
func (c *CSVWriter) Error() error { return c.w.Error() }
