package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	"nudges/bot"
)

var (
	bPaidCancels = []byte("paid_cancels") // provider subscription id → bot.PaidCancel
	bPaidCounts  = []byte("paid_counts")  // KEYWORD \0 prefix \0 shard → subscriptions with Paid set (as bListGroups)
	bPaidEnds    = []byte("paid_ends")    // PaidEnds (unix ns), KEYWORD \0 phone → nothing
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

// PaidCount implements bot.PaidCancels: the sum of keyword's paid groups.
func (t *Tx) PaidCount(keyword string) (int, error) {
	total := 0
	t.eachCount(bPaidCounts, pair(keyword, ""), func(_ []byte, n int) { total += n })
	return total, nil
}

// PaidGroups implements bot.PaidCancels: keyword's paying members by phone
// prefix, counted like the list's groups (ListGroups).
func (t *Tx) PaidGroups(keyword string) ([]bot.PhoneGroup, error) {
	return t.groupsIn(bPaidCounts, keyword), nil
}

// PaidEndedBefore implements bot.PaidCancels.
func (t *Tx) PaidEndedBefore(before time.Time, n int) ([]bot.Subscription, error) {
	var out []bot.Subscription
	limit := itob(uint64(before.UnixNano()))
	cur := t.b(bPaidEnds).Cursor()
	for k, _ := cur.First(); k != nil && len(out) < n && bytes.Compare(k[:8], limit) < 0; k, _ = cur.Next() {
		kw, phone, ok := bytes.Cut(k[8:], []byte{0})
		if !ok {
			return nil, fmt.Errorf("bad paid end key %q", k)
		}
		ends := time.Unix(0, int64(binary.BigEndian.Uint64(k[:8]))).UTC()
		out = append(out, bot.Subscription{Keyword: string(kw), Phone: bot.Phone(phone), PaidEnds: ends})
	}
	return out, nil
}

func endsKey(s bot.Subscription) []byte {
	return append(itob(uint64(s.PaidEnds.UnixNano())), pair(s.Keyword, string(s.Phone))...)
}

// keepPaid keeps the paid count and the index of paid ends in step with a
// row going from old to s (old nil: a new row; s without Paid: unpaid or
// removed).
func (t *Tx) keepPaid(old *bot.Subscription, s bot.Subscription) error {
	if old != nil && !old.PaidEnds.IsZero() && !old.PaidEnds.Equal(s.PaidEnds) {
		if err := t.b(bPaidEnds).Delete(endsKey(*old)); err != nil {
			return fmt.Errorf("unindex paid end: %w", err)
		}
	}
	if !s.PaidEnds.IsZero() && s.Paid != "" && (old == nil || !old.PaidEnds.Equal(s.PaidEnds)) {
		if err := t.b(bPaidEnds).Put(endsKey(s), nil); err != nil {
			return fmt.Errorf("index paid end: %w", err)
		}
	}
	return t.countPaid(old, s)
}

// countPaid moves keyword's paid count by the change from old to s
// (either may be unpaid; old nil: a new row).
func (t *Tx) countPaid(old *bot.Subscription, s bot.Subscription) error {
	was := old != nil && old.Paid != ""
	switch is := s.Paid != ""; {
	case is && !was:
		return addGroups(t.b(bPaidCounts), map[string]int{groupKey(s.Keyword, s.Phone): 1})
	case was && !is:
		return addGroups(t.b(bPaidCounts), map[string]int{groupKey(old.Keyword, old.Phone): -1}) // the key it was counted under
	}
	return nil
}
