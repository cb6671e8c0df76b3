package store

import (
	"bytes"
	"encoding/hex"
	"errors"

	"nudges/bot"
)

// ErrBadCursor is a log page cursor this store did not hand out.
var ErrBadCursor = errors.New("bad page cursor")

// LogPage returns up to n entries of p's conversation log, newest first,
// older than the entry the cursor before names ("" for the newest), and
// the cursor of the next, older page ("" when there is none). Cursors are
// the hex of an entry's key after the phone, so a page costs n reads
// however long the log is.
func (t *Tx) LogPage(p bot.Phone, before string, n int) ([]bot.LogEntry, string, error) {
	prefix := pair(string(p), "")
	end := append(bytes.Clone(prefix), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
	if before != "" {
		b, err := hex.DecodeString(before)
		if err != nil || len(b) == 0 || len(b) > 16 {
			return nil, "", ErrBadCursor
		}
		end = append(bytes.Clone(prefix), b...)
	}
	cur := t.b(bLog).Cursor()
	k, v := cur.Seek(end) // at end or past it: the page starts before
	if k == nil {
		k, v = cur.Last()
	} else {
		k, v = cur.Prev()
	}
	var out []bot.LogEntry
	var last []byte
	for ; k != nil && bytes.HasPrefix(k, prefix) && len(out) < n; k, v = cur.Prev() {
		var e bot.LogEntry
		if err := jsonDecode(v, &e); err != nil {
			return nil, "", err
		}
		out, last = append(out, e), k
	}
	if k == nil || !bytes.HasPrefix(k, prefix) || last == nil {
		return out, "", nil
	}
	return out, hex.EncodeToString(last[len(prefix):]), nil
}
