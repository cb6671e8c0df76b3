package store

import (
	"bytes"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"nudges/bot"
)

var _ bot.Queue = (*DB)(nil)

// Claim implements bot.Queue. A read-only look comes first, so that an idle
// dispatcher polling an empty queue costs no commits.
func (db *DB) Claim(now time.Time, n int, report bot.Reporter) ([]bot.OutMessage, time.Time, error) {
	var due bool
	var next time.Time
	err := db.Read(func(tx *Tx) error {
		due, next = tx.peekQueue(now)
		return nil
	})
	if err != nil || !due {
		return nil, next, err
	}
	var msgs []bot.OutMessage
	err = db.Write(func(tx *Tx) error {
		var err error
		msgs, next, err = tx.claim(now, n, report)
		return err
	})
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("claim outbox: %w", err)
	}
	return msgs, next, nil
}

// peekQueue reports whether a message is due, else when the first one will be.
func (t *Tx) peekQueue(now time.Time) (bool, time.Time) {
	var next time.Time
	cur := t.b(bQueue).Cursor()
	for k, v := cur.First(); k != nil; k, v = cur.Next() {
		due := time.Unix(0, int64(btoi(v))).UTC()
		if !due.After(now) {
			return true, now
		}
		if next.IsZero() || due.Before(next) {
			next = due
		}
	}
	return false, next
}

// claim marks up to n due messages sending, most urgent first, and settles
// those to opted-out phones as skipped.
func (t *Tx) claim(now time.Time, n int, report bot.Reporter) ([]bot.OutMessage, time.Time, error) {
	inflight := t.b(bInflight)
	s := t.settler(now, report)
	optedOut := map[bot.Phone]bool{}
	var out []bot.OutMessage
	var done [][]byte
	var next time.Time
	cur := t.b(bQueue).Cursor()
	for k, v := cur.First(); k != nil; k, v = cur.Next() {
		if len(out) >= n {
			next = now
			break
		}
		if due := time.Unix(0, int64(btoi(v))).UTC(); due.After(now) {
			if next.IsZero() || due.Before(next) {
				next = due
			}
			continue
		}
		done = append(done, bytes.Clone(k))
		m, err := t.claimOne(btoi(k[1:]), now, optedOut, inflight, s)
		if err != nil {
			return nil, time.Time{}, err
		}
		if m != nil {
			out = append(out, *m)
		}
	}
	for _, k := range done {
		if err := t.b(bQueue).Delete(k); err != nil {
			return nil, time.Time{}, fmt.Errorf("dequeue: %w", err)
		}
	}
	return out, next, s.flush()
}

// claimOne marks one queued message sending and returns it, or settles it
// as skipped when its phone opted out or left the announcement's list (nil
// then).
func (t *Tx) claimOne(id uint64, now time.Time, optedOut map[bot.Phone]bool, inflight *bolt.Bucket, s *settler) (*bot.OutMessage, error) {
	m, err := t.OutMessage(id)
	if err != nil {
		return nil, fmt.Errorf("load message %d: %w", id, err)
	}
	if m == nil || m.Status != bot.StatusQueued {
		return nil, nil // stale index entry
	}
	out, seen := optedOut[m.To]
	if !seen {
		conv, err := t.Conversation(m.To)
		if err != nil {
			return nil, fmt.Errorf("load recipient %s: %w", m.To, err)
		}
		out = conv.OptedOut
		optedOut[m.To] = out
	}
	m.UpdatedAt = now
	why := ""
	if out {
		why = "recipient opted out"
	} else if left, err := t.leftList(m, s); err != nil {
		return nil, err
	} else if left {
		why = "recipient left the list"
	}
	if why != "" {
		m.Status, m.Error = bot.StatusSkipped, why
		if err := t.putOut(m); err != nil {
			return nil, err
		}
		return nil, s.settle(m, bot.StatusQueued)
	}
	m.Status = bot.StatusSending
	if err := t.putOut(m); err != nil {
		return nil, err
	}
	return m, inflight.Put(itob(id), nil)
}

// leftList reports whether m is an announcement whose recipient left the
// client's list after CONFIRM queued it: LEAVE promises no more messages.
func (t *Tx) leftList(m *bot.OutMessage, s *settler) (bool, error) {
	if m.AnnouncementID == 0 {
		return false, nil
	}
	a, err := s.announcement(m.AnnouncementID)
	if err != nil || a == nil {
		return false, err
	}
	return t.b(bSubs).Get(pair(a.Keyword, string(m.To))) == nil, nil
}

// Record implements bot.Queue.
func (db *DB) Record(now time.Time, outs []bot.Outcome, report bot.Reporter) error {
	err := db.Write(func(tx *Tx) error {
		inflight := tx.b(bInflight)
		s := tx.settler(now, report)
		for _, o := range outs {
			if err := tx.recordOne(now, o, inflight, s); err != nil {
				return fmt.Errorf("message %d: %w", o.ID, err)
			}
		}
		return s.flush()
	})
	if err != nil {
		return fmt.Errorf("record outcomes: %w", err)
	}
	return nil
}

func (t *Tx) recordOne(now time.Time, o bot.Outcome, inflight *bolt.Bucket, s *settler) error {
	if err := inflight.Delete(itob(o.ID)); err != nil {
		return err
	}
	m, err := t.OutMessage(o.ID)
	if err != nil || m == nil || m.Status != bot.StatusSending {
		return err // recorded already, or recovered: leave it
	}
	switch o.Status {
	case bot.StatusQueued:
		m.NextAt = o.NextAt
		if err := t.b(bQueue).Put(queueKey(m.Priority, m.ID), itob(uint64(o.NextAt.UnixNano()))); err != nil {
			return err
		}
	case bot.StatusSent:
		m.SID = o.SID
		if o.SID != "" {
			if err := t.b(bSIDs).Put([]byte(o.SID), itob(m.ID)); err != nil {
				return err
			}
		}
		if m.Kind == bot.KindAnnouncement { // logged on sending, see bot.Enqueue
			if err := t.AppendLog(bot.LogEntry{Phone: m.To, At: now, Dir: bot.DirOut, Body: m.Body}); err != nil {
				return err
			}
		}
	case bot.StatusFailed, bot.StatusUnknown, bot.StatusSkipped:
	default:
		return fmt.Errorf("outcome status %q is not one a send can have", o.Status)
	}
	m.Status, m.Tries, m.UpdatedAt = o.Status, o.Tries, now
	m.ErrorCode, m.Error = o.Code, o.Error
	if err := t.putOut(m); err != nil {
		return err
	}
	if o.Code == bot.CodeOptedOut {
		if err := t.carrierOptOut(m.To, now); err != nil {
			return err
		}
	}
	if err := s.settle(m, bot.StatusSending); err != nil {
		return err
	}
	if o.Status == bot.StatusSent {
		// A callback may have beaten this record here (see ApplyStatus).
		return t.applyEarlyStatus(m, now, s)
	}
	return nil
}

// carrierOptOut marks p opted out because the carrier refused a message to
// it (Twilio 21610): like STOP, it leaves every list, remembering them for
// START, and any step or draft is dropped. No confirmation is sent.
func (t *Tx) carrierOptOut(p bot.Phone, now time.Time) error {
	conv, err := t.Conversation(p)
	if err != nil {
		return fmt.Errorf("load %s: %w", p, err)
	}
	if conv.OptedOut {
		return nil
	}
	subs, err := t.SubscriptionsOf(p)
	if err != nil {
		return fmt.Errorf("lists of %s: %w", p, err)
	}
	for _, s := range subs {
		if _, err := t.Unsubscribe(s.Keyword, p); err != nil {
			return fmt.Errorf("opt %s out of %s: %w", p, s.Keyword, err)
		}
		conv.OptOutLists = append(conv.OptOutLists, s.Keyword)
	}
	conv.ClearStep()
	conv.Draft, conv.Misses = nil, nil
	conv.OptedOut, conv.OptedOutAt = true, now
	return t.PutConversation(conv)
}

// Recover implements bot.Queue.
func (db *DB) Recover(now time.Time, report bot.Reporter) (int, error) {
	var n int
	err := db.Write(func(tx *Tx) error {
		inflight := tx.b(bInflight)
		var ids [][]byte
		if err := inflight.ForEach(func(k, _ []byte) error { ids = append(ids, bytes.Clone(k)); return nil }); err != nil {
			return err
		}
		s := tx.settler(now, report)
		n = 0
		for _, k := range ids {
			ok, err := tx.markUnknown(btoi(k), now, s)
			if err != nil {
				return err
			}
			if ok {
				n++
			}
			if err := inflight.Delete(k); err != nil {
				return err
			}
		}
		return s.flush()
	})
	if err != nil {
		return 0, fmt.Errorf("recover in-flight messages: %w", err)
	}
	return n, nil
}

func (t *Tx) markUnknown(id uint64, now time.Time, s *settler) (bool, error) {
	m, err := t.OutMessage(id)
	if err != nil || m == nil || m.Status != bot.StatusSending {
		return false, err
	}
	m.Status, m.UpdatedAt = bot.StatusUnknown, now
	m.Error = "in flight when the service stopped; not resent"
	if err := t.putOut(m); err != nil {
		return false, err
	}
	return true, s.settle(m, bot.StatusSending)
}

// statusRank orders the statuses a provider callback can report: a callback
// never moves a message to a lower or equal rank.
func statusRank(s bot.MessageStatus) int {
	switch s {
	case bot.StatusSent:
		return 1
	case bot.StatusDelivered, bot.StatusUndelivered, bot.StatusFailed:
		return 2
	}
	return 0
}

// ApplyStatus records a provider status callback for the message with that
// sid: sent, delivered, undelivered or failed, with the provider's error
// code. A status the outbox does not track (queued, accepted, read…) and a
// regression (sent after delivered) change nothing. Error code 21610 opts
// the phone out. A sid not recorded yet (the callback beat the dispatcher's
// Record) is kept, and Record applies the status when it stores the sid;
// PruneEarlyStatus forgets those that never come.
func (db *DB) ApplyStatus(sid string, status bot.MessageStatus, code int) error {
	return db.applyStatusAt(time.Now().UTC(), sid, status, code)
}

func (db *DB) applyStatusAt(now time.Time, sid string, status bot.MessageStatus, code int) error {
	if sid == "" || statusRank(status) == 0 {
		return nil
	}
	err := db.WriteBatch(func(tx *Tx) error {
		id := tx.b(bSIDs).Get([]byte(sid))
		if id == nil {
			return tx.keepEarlyStatus(sid, status, code, now)
		}
		m, err := tx.OutMessage(btoi(id))
		if err != nil || m == nil {
			return err
		}
		s := tx.settler(now, nil)
		if ok, err := tx.applyStatus(m, status, code, now, s); err != nil || !ok {
			return err
		}
		return s.flush()
	})
	if err != nil {
		return fmt.Errorf("status %s for %s: %w", status, sid, err)
	}
	return nil
}

// applyStatus moves m to a callback's status unless that would not raise
// its rank, opts the phone out on 21610, and counts the change against m's
// announcement. It reports whether m changed.
func (t *Tx) applyStatus(m *bot.OutMessage, status bot.MessageStatus, code int, now time.Time, s *settler) (bool, error) {
	if statusRank(status) <= statusRank(m.Status) {
		return false, nil
	}
	from := m.Status
	m.Status, m.UpdatedAt = status, now
	if code != 0 {
		m.ErrorCode = code
	}
	if err := t.putOut(m); err != nil {
		return false, err
	}
	if code == bot.CodeOptedOut {
		if err := t.carrierOptOut(m.To, now); err != nil {
			return false, err
		}
	}
	return true, s.settle(m, from)
}
