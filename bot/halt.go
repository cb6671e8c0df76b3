package bot

import (
	"fmt"
	"time"
)

// Halt stops announcement id: the fan-out adds no more rows, and every row
// not claimed yet is settled as halted (counted under Counts[halted]), a
// chunk of outbox ids per transaction; a row this walk has not reached when
// the process dies is settled halted when the dispatcher claims it. Rows
// already sending go on. It returns the announcement as it stands after,
// and how many rows it dropped. The caller's reply is the report (Reported
// is set), so the completion text is not sent as well.
func (l *Lifecycle) Halt(id uint64, now time.Time) (*Announcement, int, error) {
	dropped, from := 0, uint64(0)
	var a *Announcement
	for done := false; !done; {
		err := l.Store.Update(func(tx Tx) error {
			var err error
			c := l.counter(tx, now)
			if a, err = c.announcement(id); err != nil || a == nil {
				done = true
				return err
			}
			a.Fanning, a.Reported, a.Halted, a.Held = false, true, true, nil
			rows, next, end, err := tx.AnnouncementRows(a, max(from, a.FirstRow, 1), DefaultFoldChunk)
			if err != nil {
				return err
			}
			for i := range rows {
				m := &rows[i]
				if m.Status != StatusQueued {
					continue
				}
				m.Status, m.UpdatedAt, m.Error = StatusHalted, now, "halted by the client"
				if err := put(tx, m); err != nil {
					return err
				}
				if err := c.settle(m, StatusQueued); err != nil {
					return err
				}
				dropped++
			}
			done, from = end || a.LastRow == 0, next
			return c.flush()
		})
		if err != nil {
			return nil, dropped, fmt.Errorf("halt announcement %d: %w", id, err)
		}
	}
	return a, dropped, nil
}

// HaltTx is what StartHalt needs of a turn's transaction.
type HaltTx interface {
	Outbox
	// Inflight returns the ids of the messages sending.
	Inflight() ([]uint64, error)
}

// HaltReport is what the client is told of a HALT: Sent of Total went,
// Dropped will not, InFlight were on their way and settle as usual.
type HaltReport struct {
	Sent, Total, Dropped, InFlight int
}

// Sending reports whether a is going out now: confirmed, not finished and
// not halted.
func (a *Announcement) Sending() bool {
	return a != nil && a.DoneAt.IsZero() && !a.Halted
}

// StartHalt halts a within the caller's transaction (the client's HALT
// turn), in bounded work whatever the list's size: a is marked halted, so
// that no row of it is sent from the commit on (a claim settles it halted)
// and no report follows (the reply is the report). Its fan-out worker then
// drops the unsent rows in chunks (FanOut.Halt); the recipients the fan-out
// had not reached are counted in Cut. The rows in flight are counted by
// reading the in-flight set, which holds only what the dispatcher has
// claimed.
func StartHalt(tx HaltTx, a *Announcement, now time.Time) (HaltReport, error) {
	ids, err := tx.Inflight()
	if err != nil {
		return HaltReport{}, fmt.Errorf("halt: in-flight rows: %w", err)
	}
	r := HaltReport{Sent: a.Counts[StatusSent] + a.Counts[StatusDelivered]}
	for _, id := range ids {
		m, err := tx.OutMessage(id)
		if err != nil {
			return HaltReport{}, fmt.Errorf("halt: load message %d: %w", id, err)
		}
		if m != nil && m.AnnouncementID == a.ID && m.Status == StatusSending {
			r.InFlight++
		}
	}
	if a.Fanning {
		a.Cut = max(a.Planned-a.Total, 0)
	}
	queued := max(a.Counts[StatusQueued]-r.InFlight, 0)
	r.Dropped, r.Total = queued+a.Cut, max(a.Planned, a.Total)
	a.Halted, a.Reported, a.Held = true, true, nil
	a.Fanning = queued > 0 // the fan-out worker drops them
	if !a.Fanning && a.Settled >= a.Total {
		a.DoneAt = now // nothing left to settle
	}
	if err := tx.PutAnnouncement(a); err != nil {
		return HaltReport{}, fmt.Errorf("halt announcement %d: %w", a.ID, err)
	}
	return r, nil
}
