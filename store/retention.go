package store

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"nudges/bot"
)

// Buckets of retention.
var (
	// bDone: completed announcements not yet folded, by completion time
	// (done unix ns, id → nothing).
	bDone = []byte("done")
	// bSIDGuards: sids of folded rows, by the day they were folded (day
	// since 1970 as 2 bytes, sid → nothing): a late status callback for one
	// is recognised as ours and changes nothing.
	bSIDGuards = []byte("sid_guards")
)

// SIDGuardKeep is how long a folded row's sid is remembered.
const SIDGuardKeep = 90 * 24 * time.Hour

func doneKey(at time.Time, id uint64) []byte {
	k := make([]byte, 16)
	binary.BigEndian.PutUint64(k, dueNanos(at))
	binary.BigEndian.PutUint64(k[8:], id)
	return k
}

// guardDay is t's day since 1970.
func guardDay(t time.Time) uint16 { return uint16(t.Unix() / 86400) }

// guardKey is day, then sid: a Twilio sid (two letters, 32 hex digits)
// packed into 18 bytes, any other kept as it is.
func guardKey(day uint16, sid string) []byte {
	k := make([]byte, 2, 2+len(sid))
	binary.BigEndian.PutUint16(k, day)
	if raw, err := hex.DecodeString(sid[min(2, len(sid)):]); err == nil && len(sid) == 34 {
		return append(append(k, sid[:2]...), raw...)
	}
	return append(k, sid...)
}

// indexDone keeps bDone in step with a (called by PutAnnouncement).
func (t *Tx) indexDone(a *bot.Announcement) error {
	if a.DoneAt.IsZero() {
		return nil
	}
	return setMember(t.b(bDone), doneKey(a.DoneAt, a.ID), !a.Folded)
}

// Completed implements bot.Folds.
func (t *Tx) Completed(cutoff time.Time, n int) ([]uint64, error) {
	var ids []uint64
	limit := dueNanos(cutoff)
	cur := t.b(bDone).Cursor()
	for k, _ := cur.First(); k != nil && len(ids) < n; k, _ = cur.Next() {
		if binary.BigEndian.Uint64(k) >= limit {
			break
		}
		ids = append(ids, binary.BigEndian.Uint64(k[8:]))
	}
	return ids, nil
}

// foldedRow is what folding reads of an outbox row.
type foldedRow struct {
	AnnouncementID uint64            `json:"announcement_id"`
	To             bot.Phone         `json:"to"`
	Body           string            `json:"body"`
	Status         bot.MessageStatus `json:"status"`
	SID            string            `json:"sid"`
	UpdatedAt      time.Time         `json:"updated_at"`
}

// FoldRows implements bot.Folds.
func (t *Tx) FoldRows(a *bot.Announcement, from uint64, n int, now time.Time) (uint64, bool, error) {
	outbox := t.b(bOutbox)
	cur := outbox.Cursor()
	var gone [][]byte
	next, walked := from, 0
	k, v := cur.Seek(itob(from))
	for ; k != nil && btoi(k) <= a.LastRow && walked < n; k, v = cur.Next() {
		walked++
		next = btoi(k) + 1
		var r foldedRow
		if err := json.Unmarshal(v, &r); err != nil {
			return 0, false, fmt.Errorf("decode message %d: %w", btoi(k), err)
		}
		if r.AnnouncementID != a.ID || !r.Status.Settled() {
			continue
		}
		gone = append(gone, bytes.Clone(k))
		if err := t.retire(r, now); err != nil {
			return 0, false, err
		}
	}
	for _, k := range gone {
		if err := outbox.Delete(k); err != nil {
			return 0, false, err
		}
	}
	done := k == nil || btoi(k) > a.LastRow
	return next, done, nil
}

// retire turns a folded row's sid into a guard and drops its log line.
func (t *Tx) retire(r foldedRow, now time.Time) error {
	if r.SID != "" {
		if err := t.b(bSIDs).Delete([]byte(r.SID)); err != nil {
			return err
		}
		if err := t.b(bSIDGuards).Put(guardKey(guardDay(now), r.SID), nil); err != nil {
			return err
		}
	}
	return t.deleteLogLine(r.To, r.UpdatedAt, r.Body)
}

// logWalk bounds how far back the log of a phone is searched for a line.
const logWalk = 500

// deleteLogLine removes p's outbound log line of body at at, looking back
// from the newest entry no further than at.
func (t *Tx) deleteLogLine(p bot.Phone, at time.Time, body string) error {
	prefix := pair(string(p), "")
	cur := t.b(bLog).Cursor()
	k, v := cur.Seek(append(bytes.Clone(prefix), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff))
	if k == nil {
		k, v = cur.Last()
	} else {
		k, v = cur.Prev()
	}
	for i := 0; k != nil && bytes.HasPrefix(k, prefix) && i < logWalk; k, v = cur.Prev() {
		i++
		var e bot.LogEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return fmt.Errorf("decode log of %s: %w", p, err)
		}
		if e.At.Before(at) {
			return nil
		}
		if e.Dir == bot.DirOut && e.At.Equal(at) && e.Body == body {
			return t.b(bLog).Delete(bytes.Clone(k))
		}
	}
	return nil
}

// RetiredSID implements bot.Sends.
func (t *Tx) RetiredSID(sid string, now time.Time) (bool, error) {
	b := t.b(bSIDGuards)
	today := guardDay(now)
	for d := 0; d <= int(SIDGuardKeep/(24*time.Hour)) && int(today) >= d; d++ {
		if b.Get(guardKey(today-uint16(d), sid)) != nil {
			return true, nil
		}
	}
	return false, nil
}

// pruneGuards deletes up to pruneChunk sid guards of days before cutoff.
func (t *Tx) pruneGuards(cutoff time.Time) (int, error) {
	return pruneBefore(t.b(bSIDGuards), func(k []byte) bool {
		return binary.BigEndian.Uint16(k) < guardDay(cutoff)
	})
}

// pruneBefore is the one prune: it deletes up to pruneChunk keys from the
// start of b while old says they are past retention. b's keys start with
// their time, so nothing past the old ones is read.
func pruneBefore(b *bolt.Bucket, old func(k []byte) bool) (int, error) {
	var keys [][]byte
	cur := b.Cursor()
	for k, _ := cur.First(); k != nil && len(keys) < pruneChunk && old(k); k, _ = cur.Next() {
		keys = append(keys, bytes.Clone(k))
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return 0, err
		}
	}
	return len(keys), nil
}

// AnnouncementRows implements bot.Folds.
func (t *Tx) AnnouncementRows(a *bot.Announcement, from uint64, n int) ([]bot.OutMessage, uint64, bool, error) {
	var rows []bot.OutMessage
	cur := t.b(bOutbox).Cursor()
	next, walked := from, 0
	k, v := cur.Seek(itob(from))
	for ; k != nil && btoi(k) <= a.LastRow && walked < n; k, v = cur.Next() {
		walked++
		next = btoi(k) + 1
		var r struct {
			AnnouncementID uint64 `json:"announcement_id"`
		}
		if err := json.Unmarshal(v, &r); err != nil {
			return nil, 0, false, fmt.Errorf("decode message %d: %w", btoi(k), err)
		}
		if r.AnnouncementID != a.ID {
			continue
		}
		var m bot.OutMessage
		if err := json.Unmarshal(v, &m); err != nil {
			return nil, 0, false, fmt.Errorf("decode message %d: %w", btoi(k), err)
		}
		rows = append(rows, m)
	}
	return rows, next, k == nil || btoi(k) > a.LastRow, nil
}
