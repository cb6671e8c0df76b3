package store

import (
	"bytes"
	"encoding/binary"

	"nudges/store/kv"

	"nudges/bot"
)

var (
	// bListGroups counts each list's phones by their first
	// bot.ZonePrefixLen characters, kept in step with bSubs. Each group's
	// count is split over countShards keys, the shard chosen by a hash of
	// the phone, so that joins and leaves on one list (one busy keyword)
	// write different keys and do not conflict on etcd. A list's size is
	// the sum of its keys; no other key holds it.
	bListGroups = []byte("list_groups") // KEYWORD \0 prefix \0 shard → count (8 bytes)
)

// countShards is how many keys one list group's count is split over: with
// a dozen writers at once on one list, two of them pick the same key about
// one time in six.
const countShards = 64

// groupPrefix is the part of p its list group counts it under.
func groupPrefix(p bot.Phone) string {
	return string(p[:min(len(p), bot.ZonePrefixLen)])
}

// groupKey is the count key p is counted under on keyword's list: its
// group, then its shard (FNV-1a of the phone).
func groupKey(keyword string, p bot.Phone) string {
	h := uint32(2166136261)
	for i := 0; i < len(p); i++ {
		h = (h ^ uint32(p[i])) * 16777619
	}
	return keyword + "\x00" + groupPrefix(p) + "\x00" + string([]byte{byte(h % countShards)})
}

// addGroups moves the counts of the group keys in d (groupKey → change),
// deleting the ones that reach zero.
func addGroups(b kv.Bucket, d map[string]int) error {
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

// eachGroupCount calls fn with the prefix (without the shard) and count of
// every group key under from in bListGroups.
func (t *Tx) eachGroupCount(from []byte, fn func(k []byte, n int)) {
	t.eachCount(bListGroups, from, fn)
}

// eachCount calls fn with the key and count of every count key under from
// in bucket name.
func (t *Tx) eachCount(name, from []byte, fn func(k []byte, n int)) {
	cur := t.b(name).Cursor()
	for k, v := cur.Seek(from); k != nil && bytes.HasPrefix(k, from); k, v = cur.Next() {
		if len(v) == 8 {
			fn(k, int(binary.BigEndian.Uint64(v)))
		}
	}
}

// ListGroups implements bot.Broadcasts: the list's phone groups, read from
// the counts kept beside it (countShards keys per prefix, never the list).
func (t *Tx) ListGroups(keyword string) ([]bot.PhoneGroup, error) {
	return t.groupsIn(bListGroups, keyword), nil
}

// groupsIn sums the group keys of keyword in bucket name (bListGroups or
// bPaidCounts) by phone prefix.
func (t *Tx) groupsIn(name []byte, keyword string) []bot.PhoneGroup {
	prefix := pair(keyword, "")
	var out []bot.PhoneGroup
	t.eachCount(name, prefix, func(k []byte, n int) {
		zone, _, _ := bytes.Cut(k[len(prefix):], []byte{0})
		if len(out) > 0 && out[len(out)-1].Prefix == string(zone) {
			out[len(out)-1].N += n
			return
		}
		out = append(out, bot.PhoneGroup{Prefix: string(zone), N: n})
	})
	return out
}

// subscriberCount is the number of phones on keyword's list: the sum of
// its group counts. It reads every count key of the list, so a turn that
// calls it conflicts on etcd with every join and leave on that list: only
// the client's own commands and the console call it.
func (t *Tx) subscriberCount(keyword string) int {
	total := 0
	t.eachGroupCount(pair(keyword, ""), func(_ []byte, n int) { total += n })
	return total
}

// subscriberCounts is every list's size, by keyword.
func (t *Tx) subscriberCounts() map[string]int {
	out := map[string]int{}
	t.eachGroupCount(nil, func(k []byte, n int) {
		kw, _, _ := bytes.Cut(k, []byte{0})
		out[string(kw)] += n
	})
	return out
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
			d[groupKey(string(kw), bot.Phone(p))]++
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

// shardGroupsStep moves up to migrationBatch group counts of the unsharded
// layout (KEYWORD \0 prefix) after cursor to that group's shard 0
// (migration 5): a list's size is the sum of its keys, whichever shard
// holds each part.
func shardGroupsStep(tx *Tx, cursor []byte) ([]byte, error) {
	b := tx.b(bListGroups)
	old := map[string][]byte{}
	var last []byte
	c := b.Cursor()
	k, v := seekAfter(c, cursor)
	for n := 0; k != nil && n < tx.fit(migrationBatch, 3); n++ {
		if bytes.Count(k, []byte{0}) == 1 && len(v) == 8 {
			old[string(k)] = bytes.Clone(v)
		}
		last = bytes.Clone(k)
		k, v = c.Next()
	}
	d := map[string]int{}
	for ok, ov := range old {
		if err := b.Delete([]byte(ok)); err != nil {
			return nil, err
		}
		d[ok+"\x00\x00"] = int(binary.BigEndian.Uint64(ov))
	}
	if err := addGroups(b, d); err != nil {
		return nil, err
	}
	if k == nil {
		return nil, nil
	}
	return last, nil
}
