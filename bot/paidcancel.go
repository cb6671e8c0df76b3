package bot

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Paid cancel worker timings.
const (
	PaidCancelTick  = time.Minute      // how often the worker looks for due cancellations
	paidCancelBatch = 50               // records one pass takes
	paidCancelCall  = 30 * time.Second // one provider call
	// PaidEndGrace is how long after the end of a cancelled membership's
	// paid time the worker takes it off the list, when the provider's
	// deletion has not done so (dev mode has none; a lost webhook).
	PaidEndGrace = 24 * time.Hour
)

// PaidCanceller tells the payment provider to cancel a paid list's
// subscription at the end of its period. The call must be idempotent:
// after a crash the same subscription is cancelled again.
type PaidCanceller interface {
	CancelPaid(ctx context.Context, sub, account string) error
}

// PaidCanceler makes the provider calls AskPaidCancel queued, in the
// leader process: outside any transaction, each record dropped only after
// the provider answered, a failure retried after Backoff. A kill between
// the call and the drop makes the call again, which changes nothing. It
// also takes off their lists the cancelled memberships whose paid time
// ended PaidEndGrace ago.
type PaidCanceler struct {
	Store    Store
	Provider PaidCanceller // nil: no provider (dev mode), only the sweep runs
	Clock    Clock
	Log      *slog.Logger

	kick chan struct{}
}

// NewPaidCanceler returns the worker.
func NewPaidCanceler(s Store, p PaidCanceller, clock Clock) *PaidCanceler {
	return &PaidCanceler{Store: s, Provider: p, Clock: clock, kick: make(chan struct{}, 1)}
}

// Kick makes the worker look now (a turn queued a cancellation).
func (w *PaidCanceler) Kick() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// Run works until ctx ends: at once, every PaidCancelTick and on Kick.
func (w *PaidCanceler) Run(ctx context.Context) error {
	for {
		if err := w.Pass(ctx); err != nil && ctx.Err() == nil {
			w.log().Error("paid list cancellations", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-w.kick:
		case <-time.After(PaidCancelTick):
		}
	}
}

// Pass makes every due call once, then sweeps ended memberships.
func (w *PaidCanceler) Pass(ctx context.Context) error {
	if w.Provider != nil {
		if err := w.calls(ctx); err != nil {
			return err
		}
	}
	return w.sweep()
}

// calls makes every due provider call once.
func (w *PaidCanceler) calls(ctx context.Context) error {
	var due []PaidCancel
	err := w.Store.View(func(tx Tx) error {
		var err error
		due, err = tx.PaidCancelsDue(w.Clock.Now(), paidCancelBatch)
		return err
	})
	if err != nil {
		return fmt.Errorf("read cancellations: %w", err)
	}
	for _, pc := range due {
		if ctx.Err() != nil {
			return nil
		}
		if err := w.one(ctx, pc); err != nil {
			return err
		}
	}
	return nil
}

// one makes pc's call and saves its outcome.
func (w *PaidCanceler) one(ctx context.Context, pc PaidCancel) error {
	cctx, cancel := context.WithTimeout(ctx, paidCancelCall)
	callErr := w.Provider.CancelPaid(cctx, pc.Sub, pc.Account)
	cancel()
	if callErr != nil && ctx.Err() != nil {
		return nil // cut short by shutdown: not a failed try
	}
	now := w.Clock.Now()
	err := w.Store.Update(func(tx Tx) error {
		cur, err := tx.PaidCancel(pc.Sub)
		if err != nil || cur == nil {
			return err
		}
		if callErr == nil {
			return tx.DeletePaidCancel(pc.Sub)
		}
		cur.Tries++
		cur.NextAt = now.Add(Backoff(cur.Tries))
		return tx.PutPaidCancel(*cur)
	})
	if callErr != nil {
		w.log().Warn("paid list cancellation failed; will retry", "sub", pc.Sub, "list", pc.Keyword, "tries", pc.Tries+1, "err", callErr)
	} else {
		w.log().Info("paid list subscription cancels at period end", "sub", pc.Sub, "list", pc.Keyword)
	}
	if err != nil {
		return fmt.Errorf("save cancellation of %s: %w", pc.Sub, err)
	}
	return nil
}

// sweep takes off their lists up to paidCancelBatch memberships whose
// paid time ended more than PaidEndGrace ago, in one transaction, each
// with a leave consent record; a row renewed meanwhile stays. It writes
// only when there is something to take off.
func (w *PaidCanceler) sweep() error {
	now := w.Clock.Now()
	var ended []Subscription
	err := w.Store.View(func(tx Tx) error {
		var err error
		ended, err = tx.PaidEndedBefore(now.Add(-PaidEndGrace), paidCancelBatch)
		return err
	})
	if err != nil || len(ended) == 0 {
		return err
	}
	return w.Store.Update(func(tx Tx) error {
		for _, e := range ended {
			if err := endMembership(tx, e, now); err != nil {
				return err
			}
		}
		return nil
	})
}

// endMembership takes e's phone off e's list if its row still ends when e
// does, with a leave consent record.
func endMembership(tx Tx, e Subscription, now time.Time) error {
	s, err := SubscriptionOn(tx, e.Keyword, e.Phone)
	if err != nil || s == nil || !s.PaidEnds.Equal(e.PaidEnds) {
		return err
	}
	if _, err := tx.Unsubscribe(e.Keyword, e.Phone); err != nil {
		return fmt.Errorf("end %s on %s: %w", e.Phone, e.Keyword, err)
	}
	rec := ConsentRecord{At: now, Phone: e.Phone, Kind: ConsentLeave, Note: "paid time ended"}
	return RecordConsent(tx, rec, e.Keyword)
}

func (w *PaidCanceler) log() *slog.Logger {
	if w.Log == nil {
		return slog.Default()
	}
	return w.Log
}
