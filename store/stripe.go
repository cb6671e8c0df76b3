package store

import (
	"fmt"
	"time"

	"nudges/bot"
)

var _ bot.EventLog = (*Tx)(nil)

// EventApplied reports whether the payment event id was applied already.
func (t *Tx) EventApplied(id string) (bool, error) {
	if id == "" {
		return false, bot.Errorf(bot.EINVALID, "event without an id")
	}
	return t.b(bStripeEvents).Get([]byte(id)) != nil, nil
}

// MarkEventApplied records the payment event id as applied at at. Marking
// an id twice is an ECONFLICT error: the caller checks EventApplied in the
// same transaction.
func (t *Tx) MarkEventApplied(id string, at time.Time) error {
	seen, err := t.EventApplied(id)
	if err != nil {
		return err
	}
	if seen {
		return bot.Errorf(bot.ECONFLICT, "event %s already applied", id)
	}
	if err := t.b(bStripeEvents).Put([]byte(id), itob(uint64(at.UnixNano()))); err != nil {
		return fmt.Errorf("mark event %s: %w", id, err)
	}
	return t.expires(expEvent, at, id)
}

// PruneEvents forgets event ids applied before cutoff (Stripe retries for
// three days, so a month is ample) and returns how many it removed.
func (t *Tx) PruneEvents(cutoff time.Time) (int, error) {
	return t.pruneKind(expEvent, cutoff)
}
