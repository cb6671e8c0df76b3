package bot

import (
	"fmt"
	"log/slog"
	"time"
)

// Sends is the storage the outbox lifecycle moves messages through: plain
// rows and indexes, no rules.
type Sends interface {
	// PutOutMessage saves m and keeps the queue (queued rows by priority and
	// due time), the in-flight set (sending rows) and the sid index in step
	// with its Status, NextAt and SID.
	PutOutMessage(m *OutMessage) error
	// Due returns the ids of up to n queued messages due by now, most urgent
	// first, and next: now if more are due, else the earliest due time of a
	// queued message, zero if none is queued.
	Due(now time.Time, n int) (ids []uint64, next time.Time, err error)
	// Inflight returns the ids of the messages sending.
	Inflight() ([]uint64, error)
	// MessageBySID returns the message the provider knows by sid, or nil.
	MessageBySID(sid string) (*OutMessage, error)
	// RetiredSID reports whether sid belonged to a row retention folded
	// (its retry guard is still kept at now).
	RetiredSID(sid string, now time.Time) (bool, error)
	// EarlyStatus returns the status callback kept for sid, or nil.
	EarlyStatus(sid string) (*EarlyStatus, error)
	// PutEarlyStatus keeps e for sid; DeleteEarlyStatus forgets it.
	PutEarlyStatus(sid string, e EarlyStatus) error
	DeleteEarlyStatus(sid string) error
}

// EarlyStatus is a provider status callback for a sid the outbox has not
// recorded yet (the callback beat the dispatcher's Record).
type EarlyStatus struct {
	Status MessageStatus `json:"status"`
	Code   int           `json:"code,omitempty"`
	At     time.Time     `json:"at"`
}

// OutboxTx is what the outbox lifecycle needs of one transaction.
type OutboxTx interface {
	Conversations
	Subscriptions
	Clients
	Outbox
	Sends
	Log
	ConsentLog
}

var _ Queue = (*Lifecycle)(nil)

// Lifecycle is the outbox as a domain service: it claims due messages
// (skipping phones that opted out or left the list), records send outcomes
// and status callbacks (ranked, so a status never goes back), opts a phone
// out on 21610, logs announcements when they are sent, counts every
// settled message against its announcement, completes the announcement
// once its fan-out finished and all its rows settled, and queues the report.
type Lifecycle struct {
	Store  Store
	Report Reporter // queues a completed announcement's report; nil: none
	Clock  Clock    // for ApplyStatus; SystemClock if nil
	Log    *slog.Logger
	// Window holds announcement rows whose recipient's send window is
	// closed when they are claimed (a long broadcast paced past 20:00):
	// they wait, queued, for its next opening. Nil holds nothing.
	Window *SendWindow
}

// NewLifecycle returns the outbox service on store, reporting through t.
func NewLifecycle(store Store, t Translator) *Lifecycle {
	return &Lifecycle{Store: store, Report: ReportTo(t), Clock: SystemClock{}}
}

// Claim implements Queue. A read-only look comes first, so that an idle
// dispatcher polling an empty queue costs no commits.
func (l *Lifecycle) Claim(now time.Time, n int) ([]OutMessage, time.Time, error) {
	var next time.Time
	var due []uint64
	err := l.Store.View(func(tx Tx) error {
		var err error
		due, next, err = tx.Due(now, 1)
		return err
	})
	if err != nil || len(due) == 0 {
		return nil, next, err
	}
	var out []OutMessage
	n = fit(l.Store, n, claimKeys)
	err = l.Store.Update(func(tx Tx) error {
		out = nil
		ids, nx, err := tx.Due(now, n)
		if err != nil {
			return err
		}
		next = nx
		c := l.counter(tx, now)
		optedOut := map[numberPair]bool{}
		for _, id := range ids {
			m, err := l.claimOne(tx, id, now, optedOut, c)
			if err != nil {
				return fmt.Errorf("message %d: %w", id, err)
			}
			switch {
			case m == nil:
			case m.Status == StatusSending:
				out = append(out, *m)
			case next.IsZero() || m.NextAt.Before(next): // held: look again when it is due
				next = m.NextAt
			}
		}
		return c.flush()
	})
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("claim outbox: %w", err)
	}
	return out, next, nil
}

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

// put saves m; a login code's row keeps the code only while it may still
// be sent: once settled, its body is redacted.
func put(tx Sends, m *OutMessage) error {
	if m.Kind == KindOTP && m.Status.Settled() {
		m.Body = RedactCodes(m.Body)
	}
	return tx.PutOutMessage(m)
}

// Keys a claim and a record touch per message, about (rows, indexes,
// recipient, list, log), for the store's transaction limit.
const claimKeys, recordKeys = 8, 10

// Record implements Queue: the outcomes in one transaction, or in a few
// when the store limits a transaction's size.
func (l *Lifecycle) Record(now time.Time, outs []Outcome) error {
	for n := fit(l.Store, len(outs), recordKeys); len(outs) > n; outs = outs[n:] {
		if err := l.record(now, outs[:n]); err != nil {
			return err
		}
	}
	return l.record(now, outs)
}

func (l *Lifecycle) record(now time.Time, outs []Outcome) error {
	err := l.Store.Update(func(tx Tx) error {
		c := l.counter(tx, now)
		for _, o := range outs {
			if err := l.recordOne(tx, now, o, c); err != nil {
				return fmt.Errorf("message %d: %w", o.ID, err)
			}
		}
		return c.flush()
	})
	if err != nil {
		return fmt.Errorf("record outcomes: %w", err)
	}
	return nil
}

func (l *Lifecycle) recordOne(tx OutboxTx, now time.Time, o Outcome, c *counter) error {
	m, err := tx.OutMessage(o.ID)
	if err != nil || m == nil || m.Status != StatusSending {
		return err // recorded already, or recovered: leave it
	}
	switch o.Status {
	case StatusQueued:
		m.NextAt = o.NextAt
	case StatusSent:
		m.SID = o.SID
		if m.Kind == KindAnnouncement { // logged on sending, see Enqueue
			if err := tx.AppendLog(LogEntry{Phone: m.To, At: now, Dir: DirOut, Body: m.Body}); err != nil {
				return err
			}
		}
	case StatusFailed, StatusUnknown, StatusSkipped:
	default:
		return fmt.Errorf("outcome status %q is not one a send can have", o.Status)
	}
	m.Status, m.Tries, m.UpdatedAt = o.Status, o.Tries, now
	m.ErrorCode, m.Error = o.Code, o.Error
	if err := put(tx, m); err != nil {
		return err
	}
	if o.Code == CodeOptedOut {
		if err := carrierOptOut(tx, m.To, m.From, m.SID, now); err != nil {
			return err
		}
	}
	if err := c.settle(m, StatusSending); err != nil {
		return err
	}
	if o.Status == StatusSent {
		return l.applyEarly(tx, m, now, c) // a callback may have beaten this record
	}
	return nil
}

// Recover implements Queue: every message left sending by a process that
// died is marked unknown, never sent again.
func (l *Lifecycle) Recover(now time.Time) (int, error) {
	n := 0
	err := l.Store.Update(func(tx Tx) error {
		n = 0
		ids, err := tx.Inflight()
		if err != nil {
			return err
		}
		c := l.counter(tx, now)
		for _, id := range ids {
			m, err := tx.OutMessage(id)
			if err != nil {
				return err
			}
			if m == nil || m.Status != StatusSending {
				continue
			}
			m.Status, m.UpdatedAt = StatusUnknown, now
			m.Error = "in flight when the service stopped; not resent"
			if err := put(tx, m); err != nil {
				return err
			}
			if err := c.settle(m, StatusSending); err != nil {
				return err
			}
			n++
		}
		return c.flush()
	})
	if err != nil {
		return 0, fmt.Errorf("recover in-flight messages: %w", err)
	}
	return n, nil
}

func (l *Lifecycle) log() *slog.Logger {
	if l.Log == nil {
		return slog.Default()
	}
	return l.Log
}

func (l *Lifecycle) now() time.Time {
	if l.Clock == nil {
		return SystemClock{}.Now()
	}
	return l.Clock.Now()
}
