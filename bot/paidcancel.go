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
// the call and the drop makes the call again, which changes nothing.
type PaidCanceler struct {
	Store    Store
	Provider PaidCanceller
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

// Pass makes every due call once.
func (w *PaidCanceler) Pass(ctx context.Context) error {
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

func (w *PaidCanceler) log() *slog.Logger {
	if w.Log == nil {
		return slog.Default()
	}
	return w.Log
}
