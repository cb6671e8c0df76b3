package bot

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Import limits.
const (
	ImportChunk    = 5000     // rows per write transaction (more: faster, but more dirty pages held)
	ImportBadLines = 100      // invalid rows listed by line (all are counted)
	MaxImportLine  = 64 << 10 // bytes in one CSV line
	maxSourceRunes = 200      // of a row's source column, kept on the subscription
)

// ImportRequest is one CSV import onto a client's list.
type ImportRequest struct {
	Keyword string
	File    string // the uploaded file's name, for the consent records
	Admin   Phone  // who ran it: an operator in the console
	Client  Phone  // or the list's own client, from its dashboard
	Key     string // the API key that adds a phone (AddSubscriber), not a file
}

// BadRow is an invalid row of an import and why.
type BadRow struct {
	Line   int
	Reason string
}

// ImportResult counts an import's rows so far.
type ImportResult struct {
	Rows     int      // data rows read
	Added    int      // put on the list
	Already  int      // already on it (duplicates in the file included)
	OptedOut int      // skipped: opted out or erased
	Invalid  int      // refused; the first ImportBadLines are in Bad
	Bad      []BadRow // line numbers count the header as line 1
}

func (r *ImportResult) bad(line int, format string, args ...any) {
	r.Invalid++
	if len(r.Bad) < ImportBadLines {
		r.Bad = append(r.Bad, BadRow{Line: line, Reason: fmt.Sprintf(format, args...)})
	}
}

// importRow is one valid data row.
type importRow struct {
	line     int
	phone    Phone
	locale   string
	joinedAt time.Time
	source   string
	text     string // the consent text an API caller gives
}

// columns is where the header put each known column; -1 when absent.
type columns struct{ phone, language, joinedAt, source int }

// Import reads a CSV whose header names a phone column (and optionally
// language, joined_at, source) and puts each valid phone on req.Keyword's
// list, ImportChunk rows per write transaction, recording an import consent
// record for each. Opted-out and erased phones are never added, and nobody
// is texted. progress, when set, gets the counts after every chunk.
func Import(ctx context.Context, st Store, clock Clock, r io.Reader, req ImportRequest, progress func(ImportResult)) (ImportResult, error) {
	var res ImportResult
	if err := checkList(st, req.Keyword); err != nil {
		return res, err
	}
	cr := csv.NewReader(&lineLimit{r: bufio.NewReaderSize(r, 64<<10)})
	cr.FieldsPerRecord, cr.ReuseRecord = -1, true
	cols, err := readHeader(cr)
	if err != nil {
		return res, err
	}
	size := fit(st, ImportChunk, importKeys)
	batch := make([]importRow, 0, size)
	for done := false; !done; {
		batch, done, err = readBatch(cr, cols, batch[:0], size, &res, clock.Now())
		if err != nil {
			return res, err
		}
		if err := ctx.Err(); err != nil {
			return res, fmt.Errorf("import stopped: %w", err)
		}
		if err := st.Update(func(tx Tx) error { return importBatch(tx, clock.Now(), req, batch, &res) }); err != nil {
			return res, fmt.Errorf("import rows: %w", err)
		}
		if progress != nil {
			progress(res)
		}
	}
	return res, nil
}

func checkList(st Store, keyword string) error {
	return st.View(func(tx Tx) error {
		c, err := tx.ClientByKeyword(keyword)
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		if c == nil {
			return Errorf(ENOTFOUND, "No client has the keyword %q.", keyword)
		}
		return nil
	})
}

// readHeader finds the columns; a byte-order mark and case are ignored.
func readHeader(cr *csv.Reader) (columns, error) {
	rec, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return columns{}, Errorf(EINVALID, "The file is empty: it needs a header row naming a phone column.")
	}
	if err != nil {
		return columns{}, csvError(err)
	}
	cols := columns{-1, -1, -1, -1}
	for i, name := range rec {
		switch strings.ToLower(strings.TrimSpace(strings.TrimPrefix(name, "\ufeff"))) {
		case "phone":
			cols.phone = i
		case "language":
			cols.language = i
		case "joined_at":
			cols.joinedAt = i
		case "source":
			cols.source = i
		}
	}
	if cols.phone < 0 {
		return cols, Errorf(EINVALID, "The first row must be a header naming a phone column (phone, and optionally language, joined_at, source).")
	}
	return cols, nil
}

// importKeys is about how many keys importing one row touches (phone,
// suppression, list, indexes, consent record).
const importKeys = 8

// readBatch reads up to size valid rows into batch, counting invalid ones
// in res; done at the end of the file.
func readBatch(cr *csv.Reader, cols columns, batch []importRow, size int, res *ImportResult, now time.Time) ([]importRow, bool, error) {
	for len(batch) < size {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return batch, true, nil
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) && !errors.Is(err, errLongLine) {
			res.Rows++
			res.bad(pe.StartLine, "%v", pe.Err)
			continue
		}
		if err != nil {
			return batch, false, csvError(err)
		}
		res.Rows++
		line, _ := cr.FieldPos(0)
		if row, reason := parseRow(rec, cols, now); reason != "" {
			res.bad(line, "%s", reason)
		} else {
			row.line = line
			batch = append(batch, row)
		}
	}
	return batch, false, nil
}

// field is column i of rec, trimmed, with a formula guard (CSVCell) taken
// off: the service's own exports import as they were.
func field(rec []string, i int) string {
	if i < 0 || i >= len(rec) {
		return ""
	}
	return strings.TrimSpace(CSVUnguard(rec[i]))
}

// parseRow reads one record; a reason when it is invalid.
func parseRow(rec []string, cols columns, now time.Time) (importRow, string) {
	raw := field(rec, cols.phone)
	if raw == "" {
		return importRow{}, "no phone"
	}
	p, err := ParsePhone(raw)
	if err != nil {
		return importRow{}, "not a phone number: " + clip(raw, 40)
	}
	row := importRow{phone: p, joinedAt: now, source: clip(field(rec, cols.source), maxSourceRunes)}
	switch strings.ToLower(field(rec, cols.language)) {
	case "en", "english", "inglés", "ingles":
		row.locale = English
	case "es", "spanish", "español", "espanol":
		row.locale = Spanish
	}
	if s := field(rec, cols.joinedAt); s != "" {
		t, ok := parseJoined(s)
		if !ok {
			return importRow{}, "joined_at is not a date (2026-03-30 or 2026-03-30T15:04:05Z): " + clip(s, 40)
		}
		row.joinedAt = t
	}
	return row, ""
}

func parseJoined(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339, "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// clip keeps the first n runes of s, marking a cut with "…".
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// importBatch writes one chunk, in phone order (neighbouring keys share
// pages). It runs inside a write transaction, and counts into a copy of
// res that is kept only when the transaction commits.
func importBatch(tx Tx, now time.Time, req ImportRequest, batch []importRow, res *ImportResult) error {
	r := *res
	slices.SortFunc(batch, func(a, b importRow) int { return strings.Compare(string(a.phone), string(b.phone)) })
	rows := make([]importRow, 0, len(batch))
	convs := make([]*Conversation, 0, len(batch))
	subs := make([]Subscription, 0, len(batch))
	c, err := tx.ClientByKeyword(req.Keyword)
	if err != nil {
		return fmt.Errorf("import into %s: %w", req.Keyword, err)
	}
	for _, row := range batch {
		conv, err := tx.Conversation(row.phone)
		if err != nil {
			return fmt.Errorf("line %d: %w", row.line, err)
		}
		suppressed, err := tx.Suppressed(row.phone)
		if err != nil {
			return fmt.Errorf("line %d: %w", row.line, err)
		}
		if conv.OptedOut || optedOutOfOwn(conv, c) || suppressed {
			r.OptedOut++
			continue
		}
		rows, convs = append(rows, row), append(convs, conv)
		subs = append(subs, Subscription{Keyword: req.Keyword, Phone: row.phone, JoinedAt: row.joinedAt,
			Source: importRecord(now, req, row).Source()})
	}
	added, err := tx.AddSubscriptions(subs)
	if err != nil {
		return err
	}
	hooks, err := importHooks(tx, c)
	if err != nil {
		return err
	}
	for i, row := range rows {
		if !added[i] {
			r.Already++
			continue
		}
		r.Added++
		if err := importedPhone(tx, convs[i], row.locale); err != nil {
			return err
		}
		rec := importRecord(now, req, row)
		if err := tx.AppendConsent(&rec); err != nil {
			return err
		}
		if err := joinedHook(tx, hooks, &rec); err != nil {
			return err
		}
	}
	*res = r
	return nil
}

func importRecord(now time.Time, req ImportRequest, row importRow) ConsentRecord {
	r := ConsentRecord{At: now, Phone: row.phone, Keyword: req.Keyword, Kind: ConsentImport,
		File: req.File, Admin: req.Admin, Client: req.Client, Note: row.source}
	if req.Key != "" {
		r.Kind, r.Key, r.Text, r.Given = ConsentAPI, req.Key, row.text, row.joinedAt
	}
	return r
}

// importedPhone gives a phone first known from an import the file's
// language, in a conversation whose FirstSeen stays zero (the service has
// not heard from it). Without a language there is nothing to keep: the
// lists alone make the phone known, and a write per row is saved.
func importedPhone(tx Tx, conv *Conversation, locale string) error {
	if locale == "" || !conv.FirstSeen.IsZero() || conv.Locale != "" {
		return nil // no language, or known, or imported before with one
	}
	conv.Locale = locale
	return tx.PutConversation(conv)
}

var errLongLine = fmt.Errorf("a line is longer than %d KiB", MaxImportLine>>10)

func csvError(err error) error {
	if errors.Is(err, errLongLine) {
		return Errorf(EINVALID, "The file is not a CSV: %v.", errLongLine)
	}
	return Errorf(EINVALID, "The file could not be read as CSV: %v.", err)
}

// lineLimit fails a read once a line passes MaxImportLine bytes, so that a
// file with no line breaks is never held in memory whole.
type lineLimit struct {
	r   *bufio.Reader
	run int // bytes since the last newline
}

func (l *lineLimit) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for _, b := range p[:n] {
		if b == '\n' {
			l.run = 0
		} else if l.run++; l.run > MaxImportLine {
			return 0, errLongLine
		}
	}
	return n, err
}

// optedOutOfOwn reports whether conv's phone opted out of client c's own
// number (whatever its state): an import never adds it back.
func optedOutOfOwn(conv *Conversation, c *Client) bool {
	return c != nil && c.Own != nil && c.Own.Phone != "" && conv.OptedOutOf(c.Own.Phone)
}
