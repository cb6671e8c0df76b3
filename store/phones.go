package store

import (
	"bytes"
	"fmt"
	"strings"

	"nudges/bot"
)

// PhoneQuery selects a page of the console's subscriber list.
type PhoneQuery struct {
	Prefix  string // E.164 digits the phone starts with ("1555", "+1555"); "" for all
	Keyword string // only phones on this list; "" for every phone heard from or imported
	Offset  int    // rows to skip
	Limit   int    // rows to return
}

// PhonePage returns the rows of q's page and how many phones match in all.
// It walks keys only for the rows it skips and counts, and decodes only the
// page: a million phones count in well under a second. Every phone is one
// the service heard from (a conversation) or that is on a list (an
// imported phone may have no conversation).
func (t *Tx) PhonePage(q PhoneQuery) ([]PhoneRow, int, error) {
	digits := strings.TrimPrefix(strings.TrimSpace(q.Prefix), "+")
	var next func() []byte
	if q.Keyword != "" {
		prefix := pair(q.Keyword, "+"+digits)
		cur := t.b(bSubs).Cursor()
		k, _ := cur.Seek(prefix)
		next = func() []byte {
			if k == nil || !bytes.HasPrefix(k, prefix) {
				return nil
			}
			p := k[len(q.Keyword)+1:]
			k, _ = cur.Next()
			return p
		}
	} else {
		next = t.everyPhone([]byte("+" + digits))
	}
	var out []PhoneRow
	total := 0
	for p := next(); p != nil; p = next() {
		total++
		if total <= q.Offset || len(out) >= q.Limit {
			continue
		}
		row, err := t.phoneRow(bot.Phone(p))
		if err != nil {
			return nil, 0, err
		}
		out = append(out, row)
	}
	return out, total, nil
}

// everyPhone returns an iterator over the distinct phones starting with
// prefix that have a conversation or a list, in order: a merge of the two
// buckets' keys.
func (t *Tx) everyPhone(prefix []byte) func() []byte {
	convs, subs := t.b(bConversations).Cursor(), t.b(bPhoneSubs).Cursor()
	c, _ := convs.Seek(prefix)
	s, _ := subs.Seek(prefix)
	phoneOf := func(k []byte) []byte {
		if i := bytes.IndexByte(k, 0); i >= 0 {
			return k[:i]
		}
		return k
	}
	return func() []byte {
		if c != nil && !bytes.HasPrefix(c, prefix) {
			c = nil
		}
		if s != nil && !bytes.HasPrefix(s, prefix) {
			s = nil
		}
		var p []byte
		switch {
		case c == nil && s == nil:
			return nil
		case s == nil || (c != nil && bytes.Compare(c, phoneOf(s)) <= 0):
			p = bytes.Clone(c)
		default:
			p = bytes.Clone(phoneOf(s))
		}
		for c != nil && bytes.Equal(c, p) {
			c, _ = convs.Next()
		}
		for s != nil && bytes.Equal(phoneOf(s), p) {
			s, _ = subs.Next()
		}
		return p
	}
}

func (t *Tx) phoneRow(p bot.Phone) (PhoneRow, error) {
	conv, err := t.Conversation(p)
	if err != nil {
		return PhoneRow{}, fmt.Errorf("phone row %s: %w", p, err)
	}
	row := PhoneRow{Conversation: *conv}
	subs, err := t.SubscriptionsOf(p)
	if err != nil {
		return PhoneRow{}, err
	}
	for _, s := range subs {
		row.Lists = append(row.Lists, s.Keyword)
	}
	return row, nil
}
