package bot

import (
	"bytes"
	"encoding/csv"
	"testing"
)

func TestCSVCellGuardsFormulaStarts(t *testing.T) {
	cases := map[string]string{
		"=1+1": "'=1+1", "+15550001111": "'+15550001111", "-2+3": "'-2+3", "@SUM(A1)": "'@SUM(A1)",
		"\t=1": "'\t=1", "\r=1": "'\r=1", "=HYPERLINK(\"http://x\")": "'=HYPERLINK(\"http://x\")",
		"": "", "YOGA": "YOGA", "2026-03-30": "2026-03-30", " =1": " =1", "'=1": "''=1", "a=1": "a=1",
	}
	for in, want := range cases {
		if got := CSVCell(in); got != want {
			t.Errorf("CSVCell(%q) = %q, want %q", in, got, want)
		}
		if back := CSVUnguard(CSVCell(in)); back != in {
			t.Errorf("CSVUnguard(CSVCell(%q)) = %q", in, back)
		}
	}
}

// TestCSVWriterGuardsEveryCell: the writer guards every cell of every row,
// whichever column it is in; the caller's slice is left as it was.
func TestCSVWriterGuardsEveryCell(t *testing.T) {
	var buf bytes.Buffer
	w := NewCSVWriter(&buf)
	rec := []string{"+15550001111", "-1", "fine", "@x", "\tcmd", "\rcmd", "=cmd"}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	if rec[0] != "+15550001111" {
		t.Errorf("caller's record changed: %q", rec)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(rows) != 1 {
		t.Fatalf("%q %v", rows, err)
	}
	for i, c := range rows[0] {
		if c != "fine" && c[0] != '\'' {
			t.Errorf("cell %d unguarded: %q", i, c)
		}
	}
}
