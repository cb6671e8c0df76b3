package store

import (
	"bytes"
	"encoding/binary"
	"time"

	bolt "go.etcd.io/bbolt"

	"nudges/bot"
)

var (
	// bListGroups counts each list's phones by their first
	// bot.ZonePrefixLen characters, kept in step with bSubs.
	bListGroups = []byte("list_groups") // KEYWORD \0 prefix → count (8 bytes)
	// bHolding: announcements not done with rows held for the send window.
	bHolding = []byte("holding") // announcement id → nothing
)

// groupPrefix is the part of p its list group counts it under.
func groupPrefix(p bot.Phone) string {
	return string(p[:min(len(p), bot.ZonePrefixLen)])
}

// addGroups moves the counts of the list groups in d (pair(keyword,
// prefix) → change), deleting the ones that reach zero.
func addGroups(b *bolt.Bucket, d map[string]int) error {
	for k, n := range d {
		v := int64(0)
		if old := b.Get([]byte(k)); len(old) == 8 {
			v = int64(binary.BigEndian.Uint64(old))
		}
		if v += int64(n); v <= 0 {
			if err := b.Delete([]byte(k)); err != nil {
				return err
			}
			continue
		}
		if err := b.Put([]byte(k), itob(uint64(v))); err != nil {
			return err
		}
	}
	return nil
}

// ListGroups implements bot.Broadcasts: the list's phone groups, read from
// the counts kept beside it (one key per prefix, never the list).
func (t *Tx) ListGroups(keyword string) ([]bot.PhoneGroup, error) {
	prefix := pair(keyword, "")
	var out []bot.PhoneGroup
	cur := t.b(bListGroups).Cursor()
	for k, v := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = cur.Next() {
		if len(v) == 8 {
			out = append(out, bot.PhoneGroup{Prefix: string(k[len(prefix):]), N: int(binary.BigEndian.Uint64(v))})
		}
	}
	return out, nil
}

// countGroups fills bListGroups from the lists once, for a database written
// before it existed. It reads the list keys only, at Open.
func countGroups(tx *bolt.Tx) error {
	meta := tx.Bucket(bMeta)
	if meta.Get([]byte("list_groups_v1")) != nil {
		return nil
	}
	d := map[string]int{}
	err := tx.Bucket(bSubs).ForEach(func(k, _ []byte) error {
		kw, p, ok := bytes.Cut(k, []byte{0})
		if ok {
			d[string(pair(string(kw), groupPrefix(bot.Phone(p))))]++
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := addGroups(tx.Bucket(bListGroups), d); err != nil {
		return err
	}
	return meta.Put([]byte("list_groups_v1"), []byte{1})
}

// indexHolding keeps bHolding in step with a (called by PutAnnouncement).
func (t *Tx) indexHolding(a *bot.Announcement) error {
	return setMember(t.b(bHolding), itob(a.ID), len(a.Held) > 0 && a.DoneAt.IsZero() && !a.Halted)
}

// Holding implements bot.Holds.
func (t *Tx) Holding() ([]uint64, error) {
	var ids []uint64
	err := t.b(bHolding).ForEach(func(k, _ []byte) error {
		ids = append(ids, btoi(k))
		return nil
	})
	return ids, err
}

// WindowBacklog is how many announcement messages wait for the send window
// at now (for the metrics gauge).
func (db *DB) WindowBacklog(now time.Time) (int, error) {
	n := 0
	err := db.Read(func(tx *Tx) error {
		var err error
		n, err = bot.WindowBacklog(tx, now)
		return err
	})
	return n, err
}
