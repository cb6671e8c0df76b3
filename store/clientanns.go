package store

import (
	"bytes"
	"fmt"
	"math"

	"nudges/bot"
)

// bClientAnns indexes announcements by client: client \0 announcement id →
// the Scheduled entry's id (8 bytes) while it waits, annSent once it went.
var bClientAnns = []byte("client_anns")

// annSent marks an index entry of an announcement that started.
var annSent = []byte{1}

var _ bot.ClientAnnouncements = (*Tx)(nil)

func clientAnnKey(client bot.Phone, id uint64) []byte {
	return append(pair(string(client), ""), itob(id)...)
}

// indexSent notes a in its client's index, once.
func (t *Tx) indexSent(a *bot.Announcement) error {
	if a.Client == "" {
		return nil
	}
	k := clientAnnKey(a.Client, a.ID)
	if bytes.Equal(t.b(bClientAnns).Get(k), annSent) {
		return nil
	}
	return t.b(bClientAnns).Put(k, annSent)
}

// indexScheduled gives s the id its announcement will have (the first
// time) and notes it in its client's index.
func (t *Tx) indexScheduled(s *bot.Scheduled) error {
	if s.Announcement == 0 {
		id, err := t.nextID(bAnnouncements)
		if err != nil {
			return fmt.Errorf("announcement id: %w", err)
		}
		s.Announcement = id
	}
	return t.b(bClientAnns).Put(clientAnnKey(s.Client, s.Announcement), itob(s.ID))
}

// unindexScheduled drops s from its client's index (unscheduled, or
// started: the announcement notes itself again).
func (t *Tx) unindexScheduled(s *bot.Scheduled) error {
	if s.Announcement == 0 {
		return nil
	}
	return t.b(bClientAnns).Delete(clientAnnKey(s.Client, s.Announcement))
}

// AnnouncementsOf implements bot.ClientAnnouncements.
func (t *Tx) AnnouncementsOf(client bot.Phone, before uint64, n int) ([]bot.AnnouncementRef, error) {
	if before == 0 {
		before = math.MaxUint64
	}
	prefix := pair(string(client), "")
	var out []bot.AnnouncementRef
	cur := t.b(bClientAnns).Cursor()
	k, v := cur.Seek(clientAnnKey(client, before))
	if k == nil {
		k, v = cur.Last()
	}
	for ; k != nil && len(out) < n; k, v = cur.Prev() {
		if !bytes.HasPrefix(k, prefix) {
			if bytes.Compare(k, prefix) < 0 {
				break
			}
			continue // past the client's keys: step back into them
		}
		id := btoi(k[len(prefix):])
		if id >= before {
			continue
		}
		ref := bot.AnnouncementRef{ID: id}
		if len(v) == 8 {
			ref.Scheduled = btoi(v)
		}
		out = append(out, ref)
	}
	return out, nil
}

// Scheduled implements bot.ClientAnnouncements.
func (t *Tx) Scheduled(id uint64) (*bot.Scheduled, error) { return t.scheduled(id) }

// clientAnnsStep indexes the announcements (and scheduled ones) stored
// before the index existed, up to migrationBatch after cursor.
func clientAnnsStep(tx *Tx, cursor []byte) ([]byte, error) {
	if cursor == nil {
		var all []*bot.Scheduled
		if err := tx.b(bScheduled).ForEach(func(_, v []byte) error {
			s := &bot.Scheduled{}
			all = append(all, s)
			return jsonDecode(v, s)
		}); err != nil {
			return nil, fmt.Errorf("read scheduled announcements: %w", err)
		}
		for _, s := range all { // a few per client: not worth a cursor
			if err := tx.indexScheduled(s); err != nil {
				return nil, err
			}
			if err := tx.putJSON(bScheduled, itob(s.ID), s); err != nil {
				return nil, err
			}
		}
	}
	c := tx.b(bAnnouncements).Cursor()
	k, v := seekAfter(c, cursor)
	var last []byte
	for n := 0; k != nil && n < tx.fit(migrationBatch, 2); n++ {
		a := &bot.Announcement{}
		if err := jsonDecode(v, a); err != nil {
			return nil, fmt.Errorf("decode announcement %d: %w", btoi(k), err)
		}
		if err := tx.indexSent(a); err != nil {
			return nil, err
		}
		last = bytes.Clone(k)
		k, v = c.Next()
	}
	if k == nil {
		return nil, nil
	}
	return last, nil
}
