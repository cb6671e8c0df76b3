package store

import (
	"bytes"
	"encoding/binary"

	bolt "go.etcd.io/bbolt"

	"nudges/bot"
)

var (
	// bListGroups counts each list's phones by their first
	// bot.ZonePrefixLen characters, kept in step with bSubs.
	bListGroups = []byte("list_groups") // KEYWORD \0 prefix → count (8 bytes)
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

// listGroupsStep counts the phones of up to migrationBatch list entries
// after cursor into bListGroups, for a file written before the counts were
// kept (migration 4). Counts found at the first step mean a binary that
// keeps them wrote this file (its version mark was lowered by hand): they
// are left as they are rather than counted twice.
func listGroupsStep(tx *Tx, cursor []byte) ([]byte, error) {
	if k, _ := tx.b(bListGroups).Cursor().First(); cursor == nil && k != nil {
		return nil, nil
	}
	d := map[string]int{}
	var last []byte
	c := tx.b(bSubs).Cursor()
	k, _ := seekAfter(c, cursor)
	for n := 0; k != nil && n < migrationBatch; n++ {
		if kw, p, ok := bytes.Cut(k, []byte{0}); ok {
			d[string(pair(string(kw), groupPrefix(bot.Phone(p))))]++
		}
		last = bytes.Clone(k)
		k, _ = c.Next()
	}
	if err := addGroups(tx.b(bListGroups), d); err != nil {
		return nil, err
	}
	if k == nil {
		return nil, nil
	}
	return last, nil
}
