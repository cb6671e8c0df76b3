package bot

import (
	"context"
	"time"
)

// run makes the provider call j needs and saves what came of it.
func (w *NumberWorker) run(ctx context.Context, j numberJob, now time.Time) {
	ctx, cancel := context.WithTimeout(ctx, numberCallLimit)
	defer cancel()
	own := j.own
	var apply func(n *OwnNumber)
	switch {
	case !own.ReleaseAt.IsZero():
		err := w.Provider.Release(ctx, own)
		apply = func(n *OwnNumber) { released(n, err, now) }
	case own.State == NumberProvisioning:
		got, err := w.Provider.Provision(ctx, j.client)
		apply = func(n *OwnNumber) { provisioned(n, got, err, now) }
	default:
		st, reason, err := w.Provider.Verification(ctx, own)
		apply = func(n *OwnNumber) { verified(n, st, reason, err, now) }
	}
	if err := w.save(j, apply, now); err != nil {
		w.log().Error("save own number", "client", j.client.Phone, "err", err)
	}
}

// save applies the outcome to the stored client, unless its number
// changed since it was read (an operator acted meanwhile).
func (w *NumberWorker) save(j numberJob, apply func(*OwnNumber), now time.Time) error {
	return w.Store.Update(func(tx Tx) error {
		c, err := tx.Client(j.client.Phone)
		if err != nil || c == nil || c.Own == nil {
			return err
		}
		if c.Own.State != j.own.State || c.Own.PhoneSID != j.own.PhoneSID || c.Own.VerificationSID != j.own.VerificationSID ||
			!c.Own.ReleaseAt.Equal(j.own.ReleaseAt) {
			return nil
		}
		was := c.Own.State
		apply(c.Own)
		if c.Own.State == NumberReady && was != NumberReady {
			return w.ready(tx, c, now)
		}
		return tx.PutClient(c)
	})
}

// ready makes c's number carry its messages, through Ready when set.
func (w *NumberWorker) ready(tx Tx, c *Client, now time.Time) error {
	if w.Ready != nil {
		return w.Ready(tx, c, now)
	}
	return tx.PutClient(c)
}

// provisioned records a Provision: the number bought, or the failure and
// when to try again.
func provisioned(n *OwnNumber, got OwnNumber, err error, now time.Time) {
	if err != nil {
		n.Tries++
		n.NextTry = now.Add(Backoff(n.Tries))
		n.Reason = err.Error()
		n.Note(now, "provisioning failed (try %d, next at %s): %s", n.Tries, n.NextTry.Format(time.RFC3339), err)
		return
	}
	history := n.History
	*n = got
	n.History, n.Tries, n.NextTry, n.Reason, n.Since = history, 0, time.Time{}, "", now
	n.Note(now, "bought %s (%s)", n.Phone, n.PhoneSID)
	if n.State == NumberReady {
		n.Note(now, "ready")
	}
}

// verified records a verification poll.
func verified(n *OwnNumber, st NumberState, reason string, err error, now time.Time) {
	n.NextTry = now.Add(NumberPoll)
	switch {
	case err != nil:
		n.Note(now, "verification status unavailable: %s", err)
	case st == NumberRejected:
		n.State, n.Since, n.Reason, n.NextTry = NumberRejected, now, reason, time.Time{}
		n.Note(now, "verification rejected: %s", reason)
	case st == NumberReady:
		n.State, n.Since, n.Reason, n.NextTry = NumberReady, now, "", time.Time{}
		n.Note(now, "verification approved")
	}
}

// released records a Release.
func released(n *OwnNumber, err error, now time.Time) {
	if err != nil {
		n.Tries++
		n.NextTry = now.Add(Backoff(n.Tries))
		n.Reason = err.Error()
		n.Note(now, "release failed (try %d): %s", n.Tries, err)
		return
	}
	n.Note(now, "released %s", n.Phone)
	n.State, n.Since, n.ReleaseAt, n.Tries, n.NextTry, n.Reason = NumberReleased, now, time.Time{}, 0, time.Time{}, ""
}
