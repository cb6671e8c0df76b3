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
			a.Fanning, a.Reported, a.Halted = false, true, true
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
