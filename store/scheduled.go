package store

import (
	"encoding/binary"
	"fmt"

	"nudges/bot"
)

var _ bot.Schedules = (*Tx)(nil)

// dueKey orders scheduled announcements by due time, then id.
func dueKey(s *bot.Scheduled) []byte {
	k := make([]byte, 16)
	binary.BigEndian.PutUint64(k, uint64(s.At.UnixNano()))
	binary.BigEndian.PutUint64(k[8:], s.ID)
	return k
}

// PutScheduled implements bot.Schedules.
func (t *Tx) PutScheduled(s *bot.Scheduled) error {
	if s.ID == 0 {
		id, err := t.nextID(bScheduled)
		if err != nil {
			return fmt.Errorf("schedule: %w", err)
		}
		s.ID = id
	} else if old, err := t.scheduled(s.ID); err != nil {
		return err
	} else if old != nil {
		if err := t.b(bScheduledDue).Delete(dueKey(old)); err != nil {
			return fmt.Errorf("reschedule %d: %w", s.ID, err)
		}
	}
	if err := t.indexScheduled(s); err != nil {
		return fmt.Errorf("schedule %d: %w", s.ID, err)
	}
	if err := t.putJSON(bScheduled, itob(s.ID), s); err != nil {
		return fmt.Errorf("schedule %d: %w", s.ID, err)
	}
	return t.b(bScheduledDue).Put(dueKey(s), []byte(s.Client))
}

func (t *Tx) scheduled(id uint64) (*bot.Scheduled, error) {
	s := &bot.Scheduled{}
	ok, err := t.getJSON(bScheduled, itob(id), s)
	if !ok || err != nil {
		return nil, err
	}
	return s, nil
}

// DeleteScheduled implements bot.Schedules.
func (t *Tx) DeleteScheduled(id uint64) (bool, error) {
	s, err := t.scheduled(id)
	if err != nil || s == nil {
		return false, err
	}
	if err := t.b(bScheduledDue).Delete(dueKey(s)); err != nil {
		return false, fmt.Errorf("unschedule %d: %w", id, err)
	}
	if err := t.b(bScheduled).Delete(itob(id)); err != nil {
		return false, fmt.Errorf("unschedule %d: %w", id, err)
	}
	if err := t.unindexScheduled(s); err != nil {
		return false, fmt.Errorf("unschedule %d: %w", id, err)
	}
	return true, nil
}

// ScheduledOf implements bot.Schedules. It walks the due index, which
// holds only announcements not yet sent (a few per client at most).
func (t *Tx) ScheduledOf(client bot.Phone) ([]bot.Scheduled, error) {
	var out []bot.Scheduled
	cur := t.b(bScheduledDue).Cursor()
	for k, v := cur.First(); k != nil; k, v = cur.Next() {
		if string(v) != string(client) {
			continue
		}
		s, err := t.scheduled(btoi(k[8:]))
		if err != nil {
			return nil, err
		}
		if s != nil {
			out = append(out, *s)
		}
	}
	return out, nil
}

// NextScheduled implements bot.Schedules.
func (t *Tx) NextScheduled() (*bot.Scheduled, error) {
	k, _ := t.b(bScheduledDue).Cursor().First()
	if k == nil {
		return nil, nil
	}
	return t.scheduled(btoi(k[8:]))
}

// UpcomingScheduled returns up to limit scheduled announcements, soonest
// first (the console's announcements page).
func (t *Tx) UpcomingScheduled(limit int) ([]bot.Scheduled, error) {
	var out []bot.Scheduled
	cur := t.b(bScheduledDue).Cursor()
	for k, _ := cur.First(); k != nil && len(out) < limit; k, _ = cur.Next() {
		s, err := t.scheduled(btoi(k[8:]))
		if err != nil {
			return nil, err
		}
		if s != nil {
			out = append(out, *s)
		}
	}
	return out, nil
}
