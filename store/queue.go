package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	"nudges/bot"
	"nudges/store/kv"
)

// The queue is kept in lanes: one lane per sender, priority and
// announcement (replies and other messages outside an announcement share
// their sender's lane 0). Keys:
//
//	queue   lane, due, id                → nothing   (a lane's rows, oldest due first)
//	lanes   lane                         → state     (ready, or waiting + due)
//	ready   sender, priority, turn, ann  → nothing   (lanes with due work, in turn order)
//	waiting due, lane                    → nothing   (lanes whose first row is due later)
//
// with lane = priority (1 byte), sender (16 bytes, E.164 padded with
// zeros; all zeros is the service number), announcement id (8 bytes). A
// claim seeks a sender's first ready lane, takes that lane's first row and
// moves the lane to the end of its sender's turn (round-robin); a lane that
// turns out empty or not yet due is dropped or parked in waiting as it is
// met, so no walk grows with the queue.
const (
	senderLen = 16
	laneLen   = 1 + senderLen + 8
	qKeyLen   = laneLen + 16
	readyLen  = senderLen + 1 + 8 + 8
)

// Lane states in the lanes bucket.
const (
	laneReady   byte = 'r'
	laneWaiting byte = 'w'
)

func senderKey(from bot.Phone) ([]byte, error) {
	if len(from) > senderLen {
		return nil, fmt.Errorf("sender %q is longer than an E.164 number", from)
	}
	k := make([]byte, senderLen)
	copy(k, from)
	return k, nil
}

func senderOf(k []byte) bot.Phone { return bot.Phone(bytes.TrimRight(k, "\x00")) }

// laneKey is the lane of a message from sender at priority p in
// announcement ann.
func laneKey(p bot.Priority, from bot.Phone, ann uint64) ([]byte, error) {
	s, err := senderKey(from)
	if err != nil {
		return nil, err
	}
	k := make([]byte, laneLen, qKeyLen)
	k[0] = byte(p)
	copy(k[1:], s)
	binary.BigEndian.PutUint64(k[1+senderLen:], ann)
	return k, nil
}

// queueKey is a row's key in its lane: due at due (zero: at once).
func queueKey(lane []byte, due time.Time, id uint64) []byte {
	k := append(bytes.Clone(lane[:laneLen]), make([]byte, 16)...)
	binary.BigEndian.PutUint64(k[laneLen:], dueNanos(due))
	binary.BigEndian.PutUint64(k[laneLen+8:], id)
	return k
}

// queued is what a row's queue key depends on.
type queued struct {
	Priority       bot.Priority `json:"priority"`
	From           bot.Phone    `json:"from,omitempty"`
	AnnouncementID uint64       `json:"announcement_id,omitempty"`
	NextAt         time.Time    `json:"next_at,omitzero"`
	CreatedAt      time.Time    `json:"created_at"`
}

func queuedOf(m *bot.OutMessage) queued {
	return queued{Priority: m.Priority, From: m.From, AnnouncementID: m.AnnouncementID, NextAt: m.NextAt, CreatedAt: m.CreatedAt}
}

// key is the row's queue key: due at NextAt, else when it was created (ids
// grow per process, not across processes sharing an etcd store, so time,
// not id, keeps messages to one phone in the order they were queued).
func (q queued) key(id uint64) ([]byte, error) {
	lane, err := laneKey(q.Priority, q.From, q.AnnouncementID)
	if err != nil {
		return nil, err
	}
	due := q.NextAt
	if due.IsZero() {
		due = q.CreatedAt
	}
	return queueKey(lane, due, id), nil
}

// dueNanos is due as unsigned nanoseconds; a zero time is due at once.
func dueNanos(due time.Time) uint64 {
	if ns := due.UnixNano(); !due.IsZero() && ns > 0 {
		return uint64(ns)
	}
	return 0
}

func nanosTime(b []byte) time.Time { return time.Unix(0, int64(binary.BigEndian.Uint64(b))).UTC() }

// laneNotes remembers, for one enqueue, the lanes already made known, so a
// fan-out of thousands of rows into one lane reads its state once.
type laneNotes map[string]uint64

// enqueueRow puts a queued row's key and makes its lane known: a lane
// not yet indexed waits for its first row's due time (the next claim
// makes it ready), one waiting for later is brought forward.
func (t *Tx) enqueueRow(q queued, id uint64, seen laneNotes) error {
	k, err := q.key(id)
	if err != nil {
		return err
	}
	if err := t.b(bQueue).Put(k, nil); err != nil {
		return err
	}
	lane, due := k[:laneLen], binary.BigEndian.Uint64(k[laneLen:])
	if at, ok := seen[string(lane)]; ok && at <= due {
		return nil
	}
	at, err := t.noteLane(lane, due)
	if seen != nil {
		seen[string(lane)] = at
	}
	return err
}

// noteLane indexes lane if it is not, or brings its wait forward to due;
// it returns the due time the lane is known by (0 when ready).
func (t *Tx) noteLane(lane []byte, due uint64) (uint64, error) {
	st := t.b(bLanes).Get(lane)
	switch {
	case st == nil:
	case st[0] == laneReady:
		return 0, nil
	case binary.BigEndian.Uint64(st[1:]) <= due:
		return binary.BigEndian.Uint64(st[1:]), nil
	default:
		if err := t.b(bWaiting).Delete(append(bytes.Clone(st[1:9]), lane...)); err != nil {
			return 0, err
		}
	}
	return due, t.park(lane, due)
}

// park makes lane wait until due.
func (t *Tx) park(lane []byte, due uint64) error {
	k := binary.BigEndian.AppendUint64(nil, due)
	if err := t.b(bWaiting).Put(append(k, lane...), nil); err != nil {
		return err
	}
	return t.b(bLanes).Put(bytes.Clone(lane), append([]byte{laneWaiting}, k...))
}

// readyKey is lane's key in ready at turn.
func readyKey(lane []byte, turn uint64) []byte {
	k := make([]byte, 0, readyLen)
	k = append(k, lane[1:1+senderLen]...)
	k = append(k, lane[0])
	k = binary.BigEndian.AppendUint64(k, turn)
	return append(k, lane[1+senderLen:laneLen]...)
}

func laneOfReady(k []byte) []byte {
	lane := make([]byte, 0, laneLen)
	lane = append(lane, k[senderLen])
	lane = append(lane, k[:senderLen]...)
	return append(lane, k[senderLen+9:]...)
}

// ready puts lane at the end of its sender's turn (removing old, its
// current ready key, if it is ready already).
func (t *Tx) ready(lane, old []byte) error {
	rb := t.b(bReady)
	if old != nil {
		if err := rb.Delete(old); err != nil {
			return err
		}
	}
	turn, err := rb.NextSequence()
	if err != nil {
		return err
	}
	if err := rb.Put(readyKey(lane, turn), nil); err != nil {
		return err
	}
	if old != nil {
		return nil // ready already: its state is left alone, so an enqueue into it never conflicts with a claim
	}
	return t.b(bLanes).Put(bytes.Clone(lane), []byte{laneReady})
}

var _ bot.Lanes = (*Tx)(nil)

// Promote implements bot.Lanes.
func (t *Tx) Promote(now time.Time, n int) (bool, error) {
	limit := dueNanos(now)
	w := t.b(bWaiting)
	for range n {
		k, _ := w.Cursor().First()
		if k == nil || binary.BigEndian.Uint64(k) > limit {
			return false, nil
		}
		k = bytes.Clone(k)
		if err := w.Delete(k); err != nil {
			return false, err
		}
		if err := t.ready(k[8:], nil); err != nil {
			return false, err
		}
	}
	k, _ := w.Cursor().First()
	return k != nil && binary.BigEndian.Uint64(k) <= limit, nil
}

// ReadySenders implements bot.Lanes: one seek per sender.
func (t *Tx) ReadySenders(after bot.Phone, n int) ([]bot.Phone, error) {
	start, err := senderKey(after)
	if err != nil {
		return nil, err
	}
	var out []bot.Phone
	c := t.b(bReady).Cursor()
	walk := func(k []byte, stop func([]byte) bool) {
		for ; k != nil && len(out) < n && !stop(k); k, _ = c.Seek(append(bytes.Clone(k[:senderLen]), 0xff)) {
			out = append(out, senderOf(k[:senderLen]))
		}
	}
	k, _ := c.Seek(append(bytes.Clone(start), 0xff))
	walk(k, func([]byte) bool { return false })
	k, _ = c.First()
	walk(k, func(k []byte) bool { return bytes.Compare(k[:senderLen], start) > 0 })
	return out, nil
}

// DueSenders implements bot.Lanes.
func (t *Tx) DueSenders(now time.Time, n int) ([]bot.Phone, error) {
	limit := dueNanos(now)
	var out []bot.Phone
	seen := map[bot.Phone]bool{}
	c := t.b(bWaiting).Cursor()
	for k, _ := c.First(); k != nil && n > 0 && binary.BigEndian.Uint64(k) <= limit; k, _ = c.Next() {
		n-- // lanes looked at, not senders: the walk stays bounded
		if p := senderOf(k[8+1 : 8+1+senderLen]); !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out, nil
}

// Take implements bot.Lanes.
func (t *Tx) Take(from bot.Phone, now time.Time) (uint64, error) {
	prefix, err := senderKey(from)
	if err != nil {
		return 0, err
	}
	rb, qc := t.b(bReady), t.b(bQueue).Cursor()
	for {
		k, _ := rb.Cursor().Seek(prefix)
		if k == nil || !bytes.HasPrefix(k, prefix) {
			return 0, nil
		}
		k = bytes.Clone(k)
		lane := laneOfReady(k)
		head, _ := qc.Seek(lane)
		switch {
		case head == nil || !bytes.HasPrefix(head, lane): // emptied: forget it
			if err := t.dropLane(k, lane); err != nil {
				return 0, err
			}
		case binary.BigEndian.Uint64(head[laneLen:]) > dueNanos(now): // only later rows left
			if err := rb.Delete(k); err != nil {
				return 0, err
			}
			if err := t.park(lane, binary.BigEndian.Uint64(head[laneLen:])); err != nil {
				return 0, err
			}
		default:
			id := binary.BigEndian.Uint64(head[laneLen+8:])
			return id, t.ready(lane, k)
		}
	}
}

func (t *Tx) dropLane(readyK, lane []byte) error {
	if err := t.b(bReady).Delete(readyK); err != nil {
		return err
	}
	return t.b(bLanes).Delete(lane)
}

// QueueNext implements bot.Lanes.
func (t *Tx) QueueNext() (bool, time.Time) {
	ready, _ := t.b(bReady).Cursor().First()
	k, _ := t.b(bWaiting).Cursor().First()
	if k == nil {
		return ready != nil, time.Time{}
	}
	return ready != nil, nanosTime(k)
}

// eachLane calls fn with every lane of priority p in the queue bucket, one
// seek per lane.
func eachLane(c kv.Cursor, p bot.Priority, fn func(lane []byte) bool) {
	for k, _ := c.Seek([]byte{byte(p)}); k != nil && k[0] == byte(p); {
		lane := bytes.Clone(k[:laneLen])
		if !fn(lane) {
			return
		}
		next := append(lane, 0xff)
		k, _ = c.Seek(next)
	}
}
