package bot

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Number worker timings.
const (
	NumberPoll      = time.Hour        // a pending toll-free verification is asked about at least this often
	NumberTick      = time.Minute      // how often the worker looks at every client
	numberRetryBase = time.Minute      // the first retry after a failed provisioning
	numberRetryMax  = 6 * time.Hour    // the longest wait between retries
	HistoryKeep     = 20               // events kept in OwnNumber.History
	numberCallLimit = 30 * time.Second // one provider step
)

// NumberEvent is one line of a number's history.
type NumberEvent struct {
	At   time.Time `json:"at"`
	Text string    `json:"text"`
}

// Note appends an event to n's history, keeping the last HistoryKeep.
func (n *OwnNumber) Note(at time.Time, format string, args ...any) {
	n.History = append(n.History, NumberEvent{At: at, Text: fmt.Sprintf(format, args...)})
	if len(n.History) > HistoryKeep {
		n.History = append([]NumberEvent(nil), n.History[len(n.History)-HistoryKeep:]...)
	}
}

// Backoff is the wait before provisioning try number tries+1.
func Backoff(tries int) time.Duration {
	d := numberRetryBase
	for i := 1; i < tries && d < numberRetryMax; i++ {
		d *= 2
	}
	return min(d, numberRetryMax)
}

// NumberWorker carries clients' own numbers through their lifecycle (§11)
// in the leader process: it starts one for an active client whose plan
// includes it, provisions it (retrying failures with Backoff), polls a
// submitted toll-free verification, keeps a canceled client's number for
// Grace and then releases it. Provider calls run outside transactions;
// each result is saved only if the number did not change meanwhile.
type NumberWorker struct {
	Store    Store
	Provider NumberProvider
	Clock    Clock
	Grace    time.Duration // NUDGES_NUMBER_GRACE
	// Ready makes c's number ready inside tx (tells the client, moves its
	// list); nil sets the state and saves c.
	Ready func(tx Tx, c *Client, now time.Time) error
	Log   *slog.Logger

	kick chan struct{}
}

// NewNumberWorker returns a worker; set Ready and Log as needed.
func NewNumberWorker(s Store, p NumberProvider, clock Clock, grace time.Duration) *NumberWorker {
	return &NumberWorker{Store: s, Provider: p, Clock: clock, Grace: grace, kick: make(chan struct{}, 1)}
}

// Kick makes the worker look at every client now (a plan became active,
// an operator asked for a retry, a client texted NUMBER).
func (w *NumberWorker) Kick() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// Run works until ctx ends: at once, every NumberTick, and on Kick.
func (w *NumberWorker) Run(ctx context.Context) error {
	for {
		if err := w.Pass(ctx); err != nil && ctx.Err() == nil {
			w.log().Error("own numbers", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-w.kick:
		case <-time.After(NumberTick):
		}
	}
}

func (w *NumberWorker) log() *slog.Logger {
	if w.Log == nil {
		return slog.Default()
	}
	return w.Log
}

// numberJob is one client's number that needs a provider call.
type numberJob struct {
	client Client
	own    OwnNumber // as read: the save checks it did not change
}

// Pass looks at every client once: it reads them all, then for each one
// whose number needs it saves a new schedule (one short transaction each)
// or makes a provider call and saves its result.
func (w *NumberWorker) Pass(ctx context.Context) error {
	now := w.Clock.Now()
	var moves []Phone
	var jobs []numberJob
	err := w.Store.View(func(tx Tx) error {
		moves, jobs = moves[:0], jobs[:0]
		return tx.EachClient(func(c *Client) error {
			probe := *c
			if c.Own != nil {
				own := cloneOwn(*c.Own)
				probe.Own = &own
			}
			changed, err := w.schedule(tx, &probe, now)
			switch {
			case err != nil:
				return err
			case changed:
				moves = append(moves, c.Phone)
			case due(c, now):
				jobs = append(jobs, numberJob{client: probe, own: cloneOwn(*c.Own)})
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("own numbers: %w", err)
	}
	for _, p := range moves {
		if err := w.reschedule(p, now); err != nil {
			return err
		}
	}
	for _, j := range jobs {
		if ctx.Err() != nil {
			return nil
		}
		w.run(ctx, j, now)
	}
	if len(moves) > 0 && ctx.Err() == nil {
		w.Kick() // what the new schedules made due runs on the next pass
	}
	return nil
}

// reschedule applies schedule to the stored client in its own transaction.
func (w *NumberWorker) reschedule(p Phone, now time.Time) error {
	return w.Store.Update(func(tx Tx) error {
		c, err := tx.Client(p)
		if err != nil || c == nil {
			return err
		}
		if changed, err := w.schedule(tx, c, now); err != nil || !changed {
			return err
		}
		return tx.PutClient(c)
	})
}

// schedule applies the rules that need no provider to c and reports
// whether c changed: an active client whose plan includes a number and
// that has none (or only a released one) starts provisioning one
// (StartNumber, as billing does when the plan becomes active); a
// canceled client's number is kept for Grace; paying again keeps it.
func (w *NumberWorker) schedule(tx Tx, c *Client, now time.Time) (bool, error) {
	own := c.Own
	switch {
	case c.Status == ClientActive && (own == nil || own.State == NumberReleased):
		plan, err := tx.Plan(c.PlanID)
		if err != nil {
			return false, err
		}
		return StartNumber(c, plan, now), nil
	case own == nil || own.State == NumberReleased:
		return false, nil
	case c.Status == ClientCanceled && own.ReleaseAt.IsZero():
		own.ReleaseAt = now.Add(w.Grace)
		own.Note(now, "client canceled: release after %s", own.ReleaseAt.Format(time.DateOnly))
		return true, nil
	case c.Status == ClientActive && !own.ReleaseAt.IsZero():
		own.ReleaseAt = time.Time{}
		own.Note(now, "client paid again: number kept")
		return true, nil
	}
	return false, nil
}

// due reports whether c's number needs a provider call now.
func due(c *Client, now time.Time) bool {
	n := c.Own
	if n == nil || n.NextTry.After(now) {
		return false
	}
	switch {
	case n.State == NumberReleased:
		return false
	case !n.ReleaseAt.IsZero():
		return !n.ReleaseAt.After(now) && c.Status == ClientCanceled
	case n.State == NumberProvisioning:
		return true
	}
	return n.State == NumberVerifying && n.Kind == NumberTollFree && n.VerificationSID != ""
}

// AskNow makes a pending verification due at the worker's next pass (the
// client asked with NUMBER); the caller saves the client and kicks the
// worker.
func (n *OwnNumber) AskNow() {
	if n != nil && n.State == NumberVerifying {
		n.NextTry = time.Time{}
	}
}

func cloneOwn(n OwnNumber) OwnNumber {
	n.History = append([]NumberEvent(nil), n.History...)
	return n
}
