package store

import (
	"fmt"
	"slices"
	"time"

	"nudges/bot"
)

// settler keeps announcement counts in step with their messages within one
// transaction, and reports an announcement once all its messages settled.
type settler struct {
	t      *Tx
	now    time.Time
	report bot.Reporter
	anns   map[uint64]*bot.Announcement
}

func (t *Tx) settler(now time.Time, report bot.Reporter) *settler {
	return &settler{t: t, now: now, report: report, anns: map[uint64]*bot.Announcement{}}
}

// announcement loads announcement id once per transaction (nil if gone).
func (s *settler) announcement(id uint64) (*bot.Announcement, error) {
	if a, ok := s.anns[id]; ok {
		return a, nil
	}
	a, err := s.t.Announcement(id)
	if err != nil {
		return nil, fmt.Errorf("load announcement %d: %w", id, err)
	}
	s.anns[id] = a
	return a, nil
}

// settle counts m's new status against its announcement; from is the status
// it had before. Counts[queued], if the fan-out set it, goes down as
// messages settle.
func (s *settler) settle(m *bot.OutMessage, from bot.MessageStatus) error {
	if m.AnnouncementID == 0 || !m.Status.Settled() || m.Status == from {
		return nil
	}
	a, err := s.announcement(m.AnnouncementID)
	if err != nil || a == nil {
		return err
	}
	if a.Counts == nil {
		a.Counts = map[bot.MessageStatus]int{}
	}
	if from.Settled() {
		if a.Counts[from] > 0 {
			a.Counts[from]--
		}
	} else {
		a.Settled++
		if a.Counts[bot.StatusQueued] > 0 {
			a.Counts[bot.StatusQueued]--
		}
	}
	a.Counts[m.Status]++
	return nil
}

// flush saves the announcements touched and reports those now complete.
func (s *settler) flush() error {
	ids := make([]uint64, 0, len(s.anns))
	for id, a := range s.anns {
		if a != nil {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		a := s.anns[id]
		complete := !a.Fanning && a.Settled >= a.Total
		if complete && a.DoneAt.IsZero() {
			a.DoneAt = s.now
		}
		if complete && !a.Reported && s.report != nil {
			a.Reported = true
			if err := s.report(s.t, s.now, a); err != nil {
				return fmt.Errorf("report announcement %d: %w", id, err)
			}
		}
		if err := s.t.PutAnnouncement(a); err != nil {
			return fmt.Errorf("save announcement %d: %w", id, err)
		}
	}
	return nil
}
