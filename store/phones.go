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
// page: a million phones count in well under a second.
func (t *Tx) PhonePage(q PhoneQuery) ([]PhoneRow, int, error) {
	digits := strings.TrimPrefix(strings.TrimSpace(q.Prefix), "+")
	bucket, prefix, skip := bConversations, []byte("+"+digits), 0
	if q.Keyword != "" {
		bucket, prefix, skip = bSubs, pair(q.Keyword, "+"+digits), len(q.Keyword)+1
	}
	var out []PhoneRow
	total := 0
	cur := t.b(bucket).Cursor()
	for k, _ := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = cur.Next() {
		total++
		if total <= q.Offset || len(out) >= q.Limit {
			continue
		}
		row, err := t.phoneRow(bot.Phone(k[skip:]))
		if err != nil {
			return nil, 0, err
		}
		out = append(out, row)
	}
	return out, total, nil
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
