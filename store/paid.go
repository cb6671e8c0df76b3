package store

import (
	"encoding/binary"
	"fmt"
	"time"

	"nudges/bot"
)

var (
	bPaidCancels = []byte("paid_cancels") // provider subscription id → bot.PaidCancel
	bPaidCounts  = []byte("paid_counts")  // KEYWORD → subscriptions with Paid set (big-endian)
)

var _ bot.PaidCancels = (*Tx)(nil)

// PutPaidCancel implements bot.PaidCancels.
func (t *Tx) PutPaidCancel(c bot.PaidCancel) error {
	if c.Sub == "" {
		return bot.Errorf(bot.EINVALID, "cancellation without a subscription")
	}
	return t.putJSON(bPaidCancels, []byte(c.Sub), c)
}

// PaidCancel implements bot.PaidCancels.
func (t *Tx) PaidCancel(sub string) (*bot.PaidCancel, error) {
	var c bot.PaidCancel
	ok, err := t.getJSON(bPaidCancels, []byte(sub), &c)
	if err != nil || !ok {
		return nil, err
	}
	return &c, nil
}

// PaidCancelsDue implements bot.PaidCancels. The records are few (those
// whose provider call has not succeeded yet), so it walks them all.
func (t *Tx) PaidCancelsDue(now time.Time, n int) ([]bot.PaidCancel, error) {
	var out []bot.PaidCancel
	cur := t.b(bPaidCancels).Cursor()
	for k, v := cur.First(); k != nil && len(out) < n; k, v = cur.Next() {
		var c bot.PaidCancel
		if err := jsonDecode(v, &c); err != nil {
			return nil, fmt.Errorf("decode cancellation %q: %w", k, err)
		}
		if !c.NextAt.After(now) {
			out = append(out, c)
		}
	}
	return out, nil
}

// DeletePaidCancel implements bot.PaidCancels.
func (t *Tx) DeletePaidCancel(sub string) error {
	return t.b(bPaidCancels).Delete([]byte(sub))
}

// PaidCount implements bot.PaidCancels.
func (t *Tx) PaidCount(keyword string) (int, error) {
	v := t.b(bPaidCounts).Get([]byte(keyword))
	if len(v) != 8 {
		return 0, nil
	}
	return int(binary.BigEndian.Uint64(v)), nil
}

// countPaid moves keyword's paid count by the change from old to s
// (either may be unpaid; old nil: a new row).
func (t *Tx) countPaid(old *bot.Subscription, s bot.Subscription) error {
	was := old != nil && old.Paid != ""
	switch is := s.Paid != ""; {
	case is && !was:
		return addGroups(t.b(bPaidCounts), map[string]int{s.Keyword: 1})
	case was && !is:
		return addGroups(t.b(bPaidCounts), map[string]int{s.Keyword: -1})
	}
	return nil
}
