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
	return nil
}

// PruneEvents forgets event ids applied before cutoff (Stripe retries for
// three days, so a month is ample) and returns how many it removed.
func (t *Tx) PruneEvents(cutoff time.Time) (int, error) {
	b := t.b(bStripeEvents)
	var old [][]byte
	err := b.ForEach(func(k, v []byte) error {
		if len(v) == 8 && int64(btoi(v)) < cutoff.UnixNano() {
			old = append(old, append([]byte(nil), k...))
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("scan events: %w", err)
	}
	for _, k := range old {
		if err := b.Delete(k); err != nil {
			return 0, fmt.Errorf("prune event %s: %w", k, err)
		}
	}
	return len(old), nil
}
