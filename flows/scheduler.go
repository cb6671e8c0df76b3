package flows

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"nudges/bot"
)

// SchedulerPoll is the longest the scheduler sleeps between looks at the
// schedule; an announcement scheduled meanwhile is at most this late.
const SchedulerPoll = 10 * time.Second

// Scheduler starts scheduled announcements (LATER) when they fall due. Each
// one is started in the transaction that removes it from the schedule, so
// it goes out exactly once whatever happens to the process: a crash before
// that commit leaves it scheduled, and after it, sent.
type Scheduler struct {
	store  bot.Store
	clock  bot.Clock
	t      bot.Translator
	notify func()
	brain  *Brain
	// Log records failures; slog.Default() if nil.
	Log *slog.Logger
}

// NewScheduler returns the Scheduler for store. notify wakes the fan-out
// worker and the outbox dispatcher after a broadcast started (nil: nobody);
// brain gives the client time zones.
func NewScheduler(store bot.Store, clock bot.Clock, t bot.Translator, notify func(), brain *Brain) *Scheduler {
	return &Scheduler{store: store, clock: clock, t: t, notify: notify, brain: brain}
}

// Run starts scheduled announcements as they fall due, until ctx ends.
func (s *Scheduler) Run(ctx context.Context) error {
	for {
		next, err := s.SendDue(ctx)
		if err != nil {
			s.logger().Error("scheduled announcements", "err", err)
		}
		wait := SchedulerPoll
		if d := next.Sub(s.clock.Now()); !next.IsZero() && d < wait {
			wait = max(d, 0)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
}

// SendDue starts every scheduled announcement due by now, one transaction
// each, and returns when the next one falls due (zero if none is left).
func (s *Scheduler) SendDue(ctx context.Context) (time.Time, error) {
	for ctx.Err() == nil {
		var next time.Time
		var due *bot.Scheduled
		err := s.store.Update(func(tx bot.Tx) error {
			next, due = time.Time{}, nil
			sch, err := tx.NextScheduled()
			if err != nil || sch == nil {
				return err
			}
			now := s.clock.Now()
			if sch.At.After(now) {
				next = sch.At
				return nil
			}
			due = sch
			return s.start(tx, now, *sch)
		})
		if err != nil && due != nil {
			err = s.drop(*due, err) // never let one bad entry hold up the rest
		}
		if err != nil {
			return time.Time{}, err
		}
		if due == nil {
			return next, nil
		}
		if s.notify != nil {
			s.notify()
		}
	}
	return time.Time{}, ctx.Err()
}

// start takes sch off the schedule and starts its broadcast to the list as
// it is now, telling the client; a client that cannot send any more (plan
// ended, opted out) or has nobody on its list gets it back uncounted.
func (s *Scheduler) start(tx bot.Tx, now time.Time, sch bot.Scheduled) error {
	if _, err := tx.DeleteScheduled(sch.ID); err != nil {
		return fmt.Errorf("take %d off the schedule: %w", sch.ID, err)
	}
	c, err := tx.Client(sch.Client)
	if err != nil || c == nil {
		return err // the client is gone: nothing to send
	}
	conv, err := tx.Conversation(c.Phone)
	if err != nil {
		return fmt.Errorf("load client %s: %w", c.Phone, err)
	}
	t := &bot.Turn{Tx: tx, Now: now, T: s.t, Conv: conv}
	data := map[string]any{"When": whenText(t.Lang(), sch.At, s.brain.zoneOf(sch)), "Text": quote(sch.Text)}
	if !c.CanBroadcast() || conv.OptedOut {
		return s.tell(t, c, sch, "ScheduledNotActive", data)
	}
	n, err := startBroadcast(t, c, bot.Draft{Text: sch.Text, Links: sch.Links}, sch.Announcement)
	if err != nil {
		return err
	}
	if n == 0 {
		return s.tell(t, c, sch, "ScheduledNoSubscribers", data)
	}
	data["N"] = n
	later, err := s.brain.windowSplit(tx, c, now, t.Lang(), data)
	if err != nil {
		return err
	}
	id := "ScheduledSending"
	if later > 0 {
		id = "ScheduledSendingHeld" // the send window holds some
	}
	return textOut(t, c.Phone, c.Locale, id, data)
}

// tell gives sch back to its period and tells the client why it did not go.
func (s *Scheduler) tell(t *bot.Turn, c *bot.Client, sch bot.Scheduled, id string, data map[string]any) error {
	if err := giveBack(t.Tx, c, sch); err != nil {
		return err
	}
	return textOut(t, c.Phone, c.Locale, id, data)
}

// drop takes an announcement that failed to start off the schedule, so
// that it does not fail again at every look, gives it back and tells the
// client; the failure is logged.
func (s *Scheduler) drop(sch bot.Scheduled, cause error) error {
	s.logger().Error("scheduled announcement failed to start; dropped", "id", sch.ID, "client", sch.Client, "err", cause)
	err := s.store.Update(func(tx bot.Tx) error {
		if _, err := tx.DeleteScheduled(sch.ID); err != nil {
			return err
		}
		c, err := tx.Client(sch.Client)
		if err != nil || c == nil {
			return err
		}
		conv, err := tx.Conversation(c.Phone)
		if err != nil {
			return err
		}
		t := &bot.Turn{Tx: tx, Now: s.clock.Now(), T: s.t, Conv: conv}
		return s.tell(t, c, sch, "ScheduledFailed", map[string]any{"When": whenText(t.Lang(), sch.At, s.brain.zoneOf(sch))})
	})
	if err != nil {
		return fmt.Errorf("drop scheduled %d: %w (after %v)", sch.ID, err, cause)
	}
	return nil
}

func (s *Scheduler) logger() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}
