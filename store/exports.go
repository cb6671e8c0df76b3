package store

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"time"

	"nudges/bot"
)

// bExports: sha256(token) → bot.Export, a client's one-time list link. The
// token itself is never stored.
var bExports = []byte("exports")

var _ bot.Exports = (*Tx)(nil)

func exportKey(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// PutExport implements bot.Exports.
func (t *Tx) PutExport(e *bot.Export) error {
	if e.Token == "" {
		return fmt.Errorf("export for %s has no token", e.Keyword)
	}
	return t.putJSON(bExports, exportKey(e.Token), e)
}

// TakeExport returns the export behind token and marks it used, or nil when
// there is none, it was used, or it expired by now.
func (t *Tx) TakeExport(token string, now time.Time) (*bot.Export, error) {
	var e bot.Export
	ok, err := t.getJSON(bExports, exportKey(token), &e)
	if err != nil || !ok || !e.UsedAt.IsZero() || !now.Before(e.ExpiresAt) {
		return nil, err
	}
	e.UsedAt = now
	if err := t.putJSON(bExports, exportKey(token), &e); err != nil {
		return nil, err
	}
	return &e, nil
}

// ListRow is one subscriber of a list as its export shows it.
type ListRow struct {
	bot.Subscription
	Locale string
}

// ListPage returns up to n subscribers of keyword after phone after ("" for
// the first), in phone order, with their language.
func (t *Tx) ListPage(keyword string, after bot.Phone, n int) ([]ListRow, error) {
	return t.ListSearch(keyword, "", after, n)
}

// ListSearch is ListPage over the subscribers whose phone starts with +
// and digits ("" for all): one list's search, never another list's.
func (t *Tx) ListSearch(keyword, digits string, after bot.Phone, n int) ([]ListRow, error) {
	prefix := pair(keyword, "+"+digits)
	if digits == "" {
		prefix = pair(keyword, "")
	}
	start := append(pair(keyword, string(after)), 0)
	if after == "" || string(after) < "+"+digits {
		start = prefix
	}
	var out []ListRow
	cur := t.b(bSubs).Cursor()
	for k, v := cur.Seek(start); k != nil && bytes.HasPrefix(k, prefix) && len(out) < n; k, v = cur.Next() {
		var row ListRow
		if err := jsonDecode(v, &row.Subscription); err != nil {
			return nil, fmt.Errorf("decode subscription %q: %w", k, err)
		}
		conv, err := t.Conversation(row.Phone)
		if err != nil {
			return nil, err
		}
		row.Locale = conv.Locale
		out = append(out, row)
	}
	return out, nil
}

// EachListRow calls fn for every subscriber of keyword in phone order,
// reading chunk rows per read transaction and calling fn outside it.
func (db *DB) EachListRow(keyword string, chunk int, fn func(ListRow) error) error {
	page := func(tx *Tx, after bot.Phone, n int) ([]ListRow, error) { return tx.ListPage(keyword, after, n) }
	return eachPage(db, chunk, page, func(r ListRow) bot.Phone { return r.Phone }, fn)
}
