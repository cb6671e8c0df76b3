package bot

import (
	"fmt"
	"time"
)

// senderScan bounds the senders a claim's read-only look lists to find
// one with room (seeks in a read transaction, no commit).
const senderScan = 4096

// Claim implements Queue: senders take turns (after the last one served),
// each taking up to room(sender) messages, its lanes in turn. A read-only
// look comes first: it lists the senders with due work and asks room of
// each outside any transaction (room may read the store), so that an idle
// dispatcher, or one whose senders are all busy, costs no commits, and the
// claim starts at the first sender with room. A sender first seen inside
// the claim (its lane came due since the look) takes one message (with a
// nil room, n as every sender does).
func (l *Lifecycle) Claim(now time.Time, n int, room func(from Phone) int) ([]OutMessage, time.Time, error) {
	first := 1 // what a sender first seen inside the claim may take
	if room == nil {
		room, first = func(Phone) int { return n }, n
	}
	n = fit(l.Store, n, claimKeys)
	var next time.Time
	var senders, fresh []Phone // with ready lanes, with lanes come due
	promote := false
	err := l.Store.View(func(tx Tx) error {
		ready, due := tx.QueueNext()
		next = nextDue(ready, due, now)
		promote = !due.IsZero() && !due.After(now)
		var err error
		if ready {
			if senders, err = tx.ReadySenders(l.turn(), senderScan); err != nil {
				return err
			}
		}
		if promote {
			fresh, err = tx.DueSenders(now, senderScan)
		}
		return err
	})
	if err != nil {
		return nil, next, err
	}
	rooms, start, any := roomOf(senders, room, l.turn())
	for _, p := range fresh {
		if _, ok := rooms[p]; !ok {
			rooms[p] = room(p)
		}
	}
	if !any && !promote {
		return nil, next, nil
	}
	l.served(start)
	var out []OutMessage
	err = l.Store.Update(func(tx Tx) error {
		var err error
		out, next, err = l.claim(tx, now, n, func(p Phone) int {
			if r, ok := rooms[p]; ok {
				return r
			}
			return first
		})
		return err
	})
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("claim outbox: %w", err)
	}
	return out, next, nil
}

// roomOf asks room of each sender, in turn order, and returns the answers,
// the sender to start after (the one before the first with room, else
// last) and whether any has room.
func roomOf(senders []Phone, room func(Phone) int, last Phone) (map[Phone]int, Phone, bool) {
	rooms := make(map[Phone]int, len(senders))
	start, any := last, false
	for i, p := range senders {
		r := room(p)
		rooms[p] = r
		if r > 0 && !any {
			any = true
			if i > 0 {
				start = senders[i-1]
			}
		}
	}
	return rooms, start, any
}

// nextDue is when to look at the queue again: now while a lane is ready
// (its sender may be busy), else when the first waiting lane comes due,
// zero if nothing is queued.
func nextDue(ready bool, due, now time.Time) time.Time {
	if ready || (!due.IsZero() && due.Before(now)) {
		return now
	}
	return due
}

// claim promotes lanes come due, then serves senders in turn: from each,
// up to its room, one message of each of its lanes in turn. A message
// skipped or held does not count against the room; n bounds the messages
// looked at in all.
func (l *Lifecycle) claim(tx Tx, now time.Time, n int, room func(Phone) int) ([]OutMessage, time.Time, error) {
	more, err := tx.Promote(now, n)
	if err != nil {
		return nil, time.Time{}, err
	}
	senders, err := tx.ReadySenders(l.turn(), n)
	if err != nil {
		return nil, time.Time{}, err
	}
	cl := claiming{tx: tx, now: now, c: l.counter(tx, now), optedOut: map[numberPair]bool{}, budget: n}
	for _, from := range senders {
		if cl.budget == 0 {
			break
		}
		if err := l.serve(&cl, from, room(from)); err != nil {
			return nil, time.Time{}, err
		}
		l.served(from) // busy or not, the next claim starts after it
	}
	if err := cl.c.flush(); err != nil {
		return nil, time.Time{}, err
	}
	ready, due := tx.QueueNext()
	next := nextDue(ready, due, now)
	if more || cl.budget == 0 {
		next = now
	}
	if !cl.held.IsZero() && (next.IsZero() || cl.held.Before(next)) {
		next = cl.held
	}
	return cl.out, next, nil
}

// claiming is one claim's state.
type claiming struct {
	tx       Tx
	now      time.Time
	c        *counter
	optedOut map[numberPair]bool
	budget   int // messages that may still be looked at
	out      []OutMessage
	held     time.Time // earliest a held message comes due
}

// serve takes up to room messages from one sender's lanes in turn.
func (l *Lifecycle) serve(cl *claiming, from Phone, room int) error {
	for room > 0 && cl.budget > 0 {
		id, err := cl.tx.Take(from, cl.now)
		if err != nil || id == 0 {
			return err
		}
		cl.budget--
		m, err := l.claimOne(cl.tx, id, cl.now, cl.optedOut, cl.c)
		if err != nil {
			return fmt.Errorf("message %d: %w", id, err)
		}
		switch {
		case m == nil:
		case m.Status == StatusSending:
			cl.out = append(cl.out, *m)
			room--
		case cl.held.IsZero() || m.NextAt.Before(cl.held): // held: look again when it is due
			cl.held = m.NextAt
		}
	}
	return nil
}

// turn is the sender a claim looked at last: the next starts after it.
func (l *Lifecycle) turn() Phone { return l.last }

func (l *Lifecycle) served(from Phone) { l.last = from }

// claimOne marks one queued message sending and returns it, or settles it
// as skipped when its phone opted out or left the announcement's list (nil
// then): LEAVE and STOP promise no more messages. An announcement row whose
// send window has closed is held, still queued, until it opens: returned
// with that NextAt, not sending.
func (l *Lifecycle) claimOne(tx OutboxTx, id uint64, now time.Time, optedOut map[numberPair]bool, c *counter) (*OutMessage, error) {
	m, err := tx.OutMessage(id)
	if err != nil || m == nil {
		return nil, err
	}
	if m.Status != StatusQueued {
		return nil, tx.PutOutMessage(m) // an index out of step: bring it back
	}
	why, status, err := l.skipWhy(tx, m, optedOut, c)
	if err != nil {
		return nil, err
	}
	m.UpdatedAt = now
	if why != "" {
		m.Status, m.Error = status, why
		if err := put(tx, m); err != nil {
			return nil, err
		}
		return nil, c.settle(m, StatusQueued)
	}
	if at := l.Window.holdAt(m, now); at.After(now) {
		return m, l.hold(tx, m, at, now, c)
	}
	m.Status = StatusSending
	return m, put(tx, m)
}

// hold moves queued announcement row m to at and counts it as held.
func (l *Lifecycle) hold(tx OutboxTx, m *OutMessage, at, now time.Time, c *counter) error {
	m.NextAt = at
	if err := put(tx, m); err != nil {
		return err
	}
	a, err := c.announcement(m.AnnouncementID)
	if err != nil || a == nil {
		return err
	}
	a.hold(at, now, 1)
	return nil
}

// skipWhy says why m must not be sent now and the status it settles at,
// or "".
func (l *Lifecycle) skipWhy(tx OutboxTx, m *OutMessage, optedOut map[numberPair]bool, c *counter) (string, MessageStatus, error) {
	pair := numberPair{m.From, m.To}
	out, seen := optedOut[pair]
	if !seen {
		conv, err := tx.Conversation(m.To)
		if err != nil {
			return "", "", fmt.Errorf("load recipient %s: %w", m.To, err)
		}
		out = conv.OptedOutOf(m.From) // opt-outs are per number pair (§11)
		optedOut[pair] = out
	}
	if out {
		return "recipient opted out", StatusSkipped, nil
	}
	if m.AnnouncementID == 0 {
		return "", "", nil
	}
	a, err := c.announcement(m.AnnouncementID)
	if err != nil || a == nil {
		return "", "", err
	}
	if a.Halted {
		return "halted by the client", StatusHalted, nil
	}
	on, err := tx.Subscribed(a.Keyword, m.To)
	if err != nil || on {
		return "", "", err
	}
	return "recipient left the list", StatusSkipped, nil
}

// numberPair is a sender ("" for the service number) and a recipient.
type numberPair struct{ from, to Phone }
