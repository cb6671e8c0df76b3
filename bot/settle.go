package bot

import (
	"fmt"
	"log/slog"
	"slices"
	"time"
)

// counter keeps announcement counts in step with their messages within one
// transaction, and completes an announcement once all its messages settled.
type counter struct {
	l    *Lifecycle
	tx   OutboxTx
	now  time.Time
	anns map[uint64]*Announcement
}

func (l *Lifecycle) counter(tx OutboxTx, now time.Time) *counter {
	return &counter{l: l, tx: tx, now: now, anns: map[uint64]*Announcement{}}
}

// announcement loads announcement id once per transaction (nil if gone).
func (c *counter) announcement(id uint64) (*Announcement, error) {
	if a, ok := c.anns[id]; ok {
		return a, nil
	}
	a, err := c.tx.Announcement(id)
	if err != nil {
		return nil, fmt.Errorf("load announcement %d: %w", id, err)
	}
	c.anns[id] = a
	return a, nil
}

// settle counts m's new status against its announcement; from is the status
// it had before. Counts[queued] goes down as messages settle.
func (c *counter) settle(m *OutMessage, from MessageStatus) error {
	if m.AnnouncementID == 0 || !m.Status.Settled() || m.Status == from {
		return nil
	}
	a, err := c.announcement(m.AnnouncementID)
	if err != nil || a == nil {
		return err
	}
	if a.Counts == nil {
		a.Counts = map[MessageStatus]int{}
	}
	if from.Settled() {
		if a.Counts[from] > 0 {
			a.Counts[from]--
		}
	} else {
		a.Settled++
		if a.Counts[StatusQueued] > 0 {
			a.Counts[StatusQueued]--
		}
	}
	a.Counts[m.Status]++
	return nil
}

// flush completes the announcements touched that are done and saves them.
func (c *counter) flush() error {
	ids := make([]uint64, 0, len(c.anns))
	for id, a := range c.anns {
		if a != nil {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		a := c.anns[id]
		complete(c.tx, c.now, a, c.l.Report, c.l.log())
		if err := c.tx.PutAnnouncement(a); err != nil {
			return fmt.Errorf("save announcement %d: %w", id, err)
		}
	}
	return nil
}

// complete marks a done and queues its report, once: when its fan-out has
// finished and every row it added has settled. A report that cannot be
// queued is logged, not returned: it must not keep the outcomes from being
// recorded. The caller saves a.
func complete(tx ReportTx, now time.Time, a *Announcement, report Reporter, log *slog.Logger) {
	if a.Fanning || a.Settled < a.Total {
		return
	}
	if a.DoneAt.IsZero() {
		a.DoneAt = now
		if err := emitIf(tx, a.Client, HookAnnouncementCompleted, now, announcementHook(a)); err != nil {
			log.Error("announcement.completed webhook not queued", "announcement", a.ID, "err", err)
		}
	}
	if a.Reported || report == nil {
		return
	}
	a.Reported = true
	if err := report(tx, now, a); err != nil {
		log.Error("announcement report not queued", "announcement", a.ID, "client", a.Client, "err", err)
	}
}

// statusRank orders the statuses a provider callback can report: a callback
// never moves a message to a lower or equal rank.
func statusRank(s MessageStatus) int {
	switch s {
	case StatusSent:
		return 1
	case StatusDelivered, StatusUndelivered, StatusFailed:
		return 2
	}
	return 0
}

// ApplyStatus records a provider status callback for the message with that
// sid: sent, delivered, undelivered or failed, with the provider's error
// code. A status the outbox does not track (queued, accepted, read…) and a
// regression (sent after delivered) change nothing. Error code 21610 opts
// the phone out. A sid not recorded yet (the callback beat Record) is kept,
// and Record applies it when it stores the sid.
func (l *Lifecycle) ApplyStatus(sid string, status MessageStatus, code int) error {
	if sid == "" || statusRank(status) == 0 {
		return nil
	}
	now := l.now()
	err := l.Store.Batch(func(tx Tx) error {
		m, err := tx.MessageBySID(sid)
		if err != nil {
			return err
		}
		if m == nil {
			if retired, err := tx.RetiredSID(sid, now); err != nil || retired {
				return err // a late callback for a folded row: nothing to change
			}
			return keepEarly(tx, sid, status, code, now)
		}
		c := l.counter(tx, now)
		if err := applyStatus(tx, m, status, code, now, c); err != nil {
			return err
		}
		return c.flush()
	})
	if err != nil {
		return fmt.Errorf("status %s for %s: %w", status, sid, err)
	}
	return nil
}

// keepEarly remembers a callback for a sid the outbox does not know yet.
// Several callbacks for one sid fold as they would apply to a message Record
// has just marked sent: only a status ranked above sent is worth keeping,
// the first such one wins, and its code goes with it.
func keepEarly(tx OutboxTx, sid string, status MessageStatus, code int, now time.Time) error {
	if statusRank(status) <= statusRank(StatusSent) {
		return nil // Record lands the message at sent anyway
	}
	if e, err := tx.EarlyStatus(sid); err != nil || e != nil {
		return err // a terminal status is kept already; later ones change nothing
	}
	return tx.PutEarlyStatus(sid, EarlyStatus{Status: status, Code: code, At: now})
}

// applyEarly applies and forgets the callback kept for m's sid, if any; m
// has just been recorded sent.
func (l *Lifecycle) applyEarly(tx OutboxTx, m *OutMessage, now time.Time, c *counter) error {
	if m.SID == "" {
		return nil
	}
	e, err := tx.EarlyStatus(m.SID)
	if err != nil || e == nil {
		return err
	}
	if err := tx.DeleteEarlyStatus(m.SID); err != nil {
		return err
	}
	return applyStatus(tx, m, e.Status, e.Code, now, c)
}

// applyStatus moves m to a callback's status unless that would not raise
// its rank, opts the phone out on 21610, and counts the change against m's
// announcement.
func applyStatus(tx OutboxTx, m *OutMessage, status MessageStatus, code int, now time.Time, c *counter) error {
	if statusRank(status) <= statusRank(m.Status) {
		return nil
	}
	from := m.Status
	m.Status, m.UpdatedAt = status, now
	if code != 0 {
		m.ErrorCode = code
	}
	if err := put(tx, m); err != nil {
		return err
	}
	if code == CodeOptedOut {
		if err := carrierOptOut(tx, m.To, m.From, m.SID, now); err != nil {
			return err
		}
	}
	return c.settle(m, from)
}
