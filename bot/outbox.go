package bot

import (
	"fmt"
	"log/slog"
	"time"
)

// Sends is the storage the outbox lifecycle moves messages through: plain
// rows and indexes, no rules.
type Sends interface {
	// PutOutMessage saves m and keeps the queue (queued rows in their lane:
	// sender, priority, announcement), the in-flight set (sending rows) and
	// the sid index in step with its Status, NextAt and SID.
	PutOutMessage(m *OutMessage) error
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
	Lanes
	Log
	ConsentLog
	PaidCancels
}

// Lanes is the queue as lanes, one per sender, priority and announcement:
// a sender's urgent lanes go before its bulk ones, and its lanes of one
// priority take turns. Every method reads a bounded number of keys.
type Lanes interface {
	// Promote makes up to n lanes whose first message has come due by now
	// ready to take from; more reports whether others are due too.
	Promote(now time.Time, n int) (more bool, err error)
	// ReadySenders returns up to n senders with ready lanes, starting after
	// after and wrapping round to it (the service number is "").
	ReadySenders(after Phone, n int) ([]Phone, error)
	// DueSenders returns the senders of up to n waiting lanes come due by
	// now (the next Promote's), each once.
	DueSenders(now time.Time, n int) ([]Phone, error)
	// Take returns the id of the first message due by now in from's next
	// lane in turn, and moves that lane to the end of its turn; 0 when from
	// has nothing due.
	Take(from Phone, now time.Time) (uint64, error)
	// QueueNext reports whether any lane is ready, and when the first
	// waiting lane comes due (zero if none waits).
	QueueNext() (ready bool, due time.Time)
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

	// last is the sender the last claim looked at: senders take turns.
	// Only one dispatcher claims from a queue, so it needs no lock.
	last Phone
}

// NewLifecycle returns the outbox service on store, reporting through t.
func NewLifecycle(store Store, t Translator) *Lifecycle {
	return &Lifecycle{Store: store, Report: ReportTo(t), Clock: SystemClock{}}
}

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
const claimKeys, recordKeys = 12, 10

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
