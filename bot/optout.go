package bot

import (
	"fmt"
	"time"
)

// OptOutTx is what an opt-out reads and changes.
type OptOutTx interface {
	Subscriptions
	Clients
	PaidCancels
}

// OptOut is the one opt-out, for STOP and for the carrier's 21610, scoped
// to the number it concerns (from: a client's own number, or "" for the
// service number), as carriers scope it. On the service number the phone
// leaves every list that sends from it (lists of clients whose own number
// is ready are not touched), any step, draft and misses are dropped, and
// it is marked opted out. On a client's own number it leaves that
// client's list and is opted out of that number only. The lists left are
// remembered for START. It returns them and whether the phone was opted
// in until now; the caller saves conv and records the consent event. A
// paid list left this way has its subscription cancelled at period end
// (AskPaidCancel); nothing more is sent for it.
func OptOut(tx OptOutTx, conv *Conversation, from Phone, now time.Time) (left []string, changed bool, err error) {
	if from != "" {
		return optOutNumber(tx, conv, from, now)
	}
	subs, err := tx.SubscriptionsOf(conv.Phone)
	if err != nil {
		return nil, false, fmt.Errorf("opt-out lists: %w", err)
	}
	for _, s := range subs {
		c, err := tx.ClientByKeyword(s.Keyword)
		if err != nil {
			return nil, false, fmt.Errorf("opt-out list %s: %w", s.Keyword, err)
		}
		if SenderOf(c) != "" {
			continue // sends from its own number: a STOP there ends it
		}
		if _, err := AskPaidCancel(tx, &s, now); err != nil {
			return nil, false, err
		}
		if _, err := tx.Unsubscribe(s.Keyword, conv.Phone); err != nil {
			return nil, false, fmt.Errorf("opt %s out of %s: %w", conv.Phone, s.Keyword, err)
		}
		conv.OptOutLists = append(conv.OptOutLists, s.Keyword)
		left = append(left, s.Keyword)
	}
	conv.ClearStep()
	conv.Draft, conv.Misses = nil, nil
	if conv.OptedOut {
		return left, false, nil
	}
	conv.OptedOut, conv.OptedOutAt = true, now
	return left, true, nil
}

// optOutNumber opts conv's phone out of the client's own number from.
func optOutNumber(tx OptOutTx, conv *Conversation, from Phone, now time.Time) ([]string, bool, error) {
	out, already := conv.NumberOptOuts[from]
	if !already {
		out = NumberOptOut{At: now}
	}
	c, err := tx.ClientByNumber(from)
	if err != nil {
		return nil, false, fmt.Errorf("opt-out of %s: %w", from, err)
	}
	var left []string
	if c != nil {
		if err := cancelPaidOf(tx, c.Keyword, conv.Phone, now); err != nil {
			return nil, false, err
		}
		on, err := tx.Unsubscribe(c.Keyword, conv.Phone)
		if err != nil {
			return nil, false, fmt.Errorf("opt %s out of %s: %w", conv.Phone, c.Keyword, err)
		}
		if on {
			left, out.List = []string{c.Keyword}, c.Keyword
		}
	}
	if conv.NumberOptOuts == nil {
		conv.NumberOptOuts = map[Phone]NumberOptOut{}
	}
	conv.NumberOptOuts[from] = out
	conv.Misses = nil
	return left, !already, nil
}

// cancelPaidOf asks for the cancellation of p's paid membership of
// keyword, if it has one.
func cancelPaidOf(tx OptOutTx, keyword string, p Phone, now time.Time) error {
	subs, err := tx.SubscriptionsOf(p)
	if err != nil {
		return fmt.Errorf("opt-out lists: %w", err)
	}
	for _, s := range subs {
		if s.Keyword == keyword {
			_, err = AskPaidCancel(tx, &s, now)
		}
	}
	return err
}

// OptInNumber lifts conv's opt-out of the client's own number from and
// returns the list that opt-out ended ("" if none), for the caller to
// restore; false if the phone was not opted out of it.
func OptInNumber(conv *Conversation, from Phone) (list string, was bool) {
	out, was := conv.NumberOptOuts[from]
	if !was {
		return "", false
	}
	delete(conv.NumberOptOuts, from)
	if len(conv.NumberOptOuts) == 0 {
		conv.NumberOptOuts = nil
	}
	return out.List, true
}

// carrierOptOut opts p out of sender from because the carrier refused a
// message to it (21610; sid is that message), as STOP to that number
// does, and records it in the consent ledger; no confirmation is sent.
func carrierOptOut(tx OutboxTx, p, from Phone, sid string, now time.Time) error {
	conv, err := tx.Conversation(p)
	if err != nil {
		return fmt.Errorf("load %s: %w", p, err)
	}
	if conv.OptedOutOf(from) {
		return nil
	}
	left, _, err := OptOut(tx, conv, from, now)
	if err != nil {
		return err
	}
	if err := RecordCarrierOptOut(tx, p, from, left, sid, now); err != nil {
		return err
	}
	return tx.PutConversation(conv)
}
