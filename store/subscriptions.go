package store

import (
	"bytes"
	"fmt"
	"sort"
	"time"

	"nudges/bot"
)

// Subscribe implements bot.Subscriptions.
func (t *Tx) Subscribe(keyword string, p bot.Phone, at time.Time) (bool, error) {
	return t.AddSubscription(bot.Subscription{Keyword: keyword, Phone: p, JoinedAt: at})
}

// AddSubscription implements bot.Subscriptions.
func (t *Tx) AddSubscription(s bot.Subscription) (bool, error) {
	added, err := t.AddSubscriptions([]bot.Subscription{s})
	return err == nil && added[0], err
}

// AddSubscriptions implements bot.Subscriptions.
func (t *Tx) AddSubscriptions(subs []bot.Subscription) ([]bool, error) {
	added := make([]bool, len(subs))
	groups := map[string]int{}
	bs, bp := t.b(bSubs), t.b(bPhoneSubs)
	enc := bulkEncoder{} // an import adds thousands: by hand, not reflection
	for i, s := range subs {
		key := pair(s.Keyword, string(s.Phone))
		if bs.Get(key) != nil {
			continue
		}
		if err := bs.Put(key, enc.subscription(s)); err != nil {
			return nil, fmt.Errorf("add subscription %s on %s: %w", s.Phone, s.Keyword, err)
		}
		if err := bp.Put(pair(string(s.Phone), s.Keyword), nil); err != nil {
			return nil, fmt.Errorf("index subscription %s on %s: %w", s.Phone, s.Keyword, err)
		}
		if err := t.keepPaid(nil, s); err != nil {
			return nil, fmt.Errorf("count paid member %s on %s: %w", s.Phone, s.Keyword, err)
		}
		added[i] = true
		groups[groupKey(s.Keyword, s.Phone)]++
	}
	if err := addGroups(t.b(bListGroups), groups); err != nil {
		return nil, err
	}
	return added, nil
}

// Unsubscribe implements bot.Subscriptions.
func (t *Tx) Unsubscribe(keyword string, p bot.Phone) (bool, error) {
	key := pair(keyword, string(p))
	v := t.b(bSubs).Get(key)
	if v == nil {
		return false, nil
	}
	var old bot.Subscription
	if err := decodeSubscription(v, &old); err != nil {
		return false, fmt.Errorf("decode subscription %s on %s: %w", p, keyword, err)
	}
	if err := t.keepPaid(&old, bot.Subscription{Keyword: keyword, Phone: p}); err != nil {
		return false, err
	}
	if err := t.b(bSubs).Delete(key); err != nil {
		return false, err
	}
	if err := t.b(bPhoneSubs).Delete(pair(string(p), keyword)); err != nil {
		return false, err
	}
	return true, addGroups(t.b(bListGroups), map[string]int{groupKey(keyword, p): -1})
}

// SubscriptionsOf implements bot.Subscriptions.
func (t *Tx) SubscriptionsOf(p bot.Phone) ([]bot.Subscription, error) {
	prefix := pair(string(p), "")
	cur := t.prefixCursor(bPhoneSubs, prefix)
	var out []bot.Subscription
	for k, _ := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = cur.Next() {
		kw := string(k[len(prefix):])
		var s bot.Subscription
		ok, err := t.getJSON(bSubs, pair(kw, string(p)), &s)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("subscription index out of step for %s on %s", p, kw)
		}
		out = append(out, s)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].JoinedAt.Before(out[j].JoinedAt) })
	return out, nil
}

// EachSubscriber implements bot.Subscriptions.
func (t *Tx) EachSubscriber(keyword string, fn func(bot.Subscription) error) error {
	prefix := pair(keyword, "")
	cur := t.b(bSubs).Cursor()
	for k, v := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = cur.Next() {
		var s bot.Subscription
		if err := jsonDecode(v, &s); err != nil {
			return fmt.Errorf("decode subscription %q: %w", k, err)
		}
		if err := fn(s); err != nil {
			return err
		}
	}
	return nil
}

// PutSubscription implements bot.Subscriptions; the phone must be on the list.
func (t *Tx) PutSubscription(s bot.Subscription) error {
	key := pair(s.Keyword, string(s.Phone))
	v := t.b(bSubs).Get(key)
	if v == nil {
		return bot.Errorf(bot.ENOTFOUND, "%s is not on %s", s.Phone, s.Keyword)
	}
	var old bot.Subscription
	if err := decodeSubscription(v, &old); err != nil {
		return fmt.Errorf("decode subscription %s on %s: %w", s.Phone, s.Keyword, err)
	}
	if err := t.keepPaid(&old, s); err != nil {
		return err
	}
	return t.putJSON(bSubs, key, s)
}

// Subscribed implements bot.Subscriptions.
func (t *Tx) Subscribed(keyword string, p bot.Phone) (bool, error) {
	return t.b(bSubs).Get(pair(keyword, string(p))) != nil, nil
}
