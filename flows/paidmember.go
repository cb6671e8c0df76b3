package flows

import (
	"fmt"
	"time"

	"nudges/bot"
)

// listEvent applies an event of a paid list's subscription, whose
// metadata names the list and the paying phone. The phone becomes a member
// when its checkout completes; the other events of a list's subscription
// (cancellation, failed payments) are not acted on yet.
func (b *Billing) listEvent(tx bot.Tx, ev bot.BillingEvent, now time.Time) (bool, string, error) {
	switch {
	case ev.Type != bot.EventCheckoutCompleted:
		return false, "paid list event not acted on", nil
	case ev.Member == "":
		return false, "paid list event without a phone", nil
	case ev.Status != bot.ClientActive:
		return false, "paid list checkout not paid", nil
	}
	c, err := tx.ClientByKeyword(ev.List)
	if err != nil {
		return false, "", fmt.Errorf("paid join %s: %w", ev.List, err)
	}
	if c == nil {
		return false, "no such list", nil
	}
	return b.paidJoin(tx, c, ev, now)
}

// paidJoin puts the phone that paid on c's list, records its consent and
// texts it the join confirmation. A phone that opted out of the list's
// sender meanwhile is not put back on it; a replay or a phone already on
// the list changes nothing and sends nothing.
func (b *Billing) paidJoin(tx bot.Tx, c *bot.Client, ev bot.BillingEvent, now time.Time) (bool, string, error) {
	conv, err := tx.Conversation(ev.Member)
	if err != nil {
		return false, "", fmt.Errorf("paid join %s: %w", c.Keyword, err)
	}
	from := bot.SenderOf(c)
	if conv.OptedOutOf(from) {
		return false, "paid after opting out", nil
	}
	source := "paid checkout " + ev.CheckoutID
	added, err := tx.AddSubscription(bot.Subscription{Keyword: c.Keyword, Phone: ev.Member, JoinedAt: now, Source: source, Paid: ev.SubscriptionID})
	if err != nil {
		return false, "", fmt.Errorf("paid join %s: %w", c.Keyword, err)
	}
	if !added {
		return false, "already a member", nil
	}
	rec := bot.ConsentRecord{At: now, Phone: ev.Member, Kind: bot.ConsentJoin, Note: source}
	if err := bot.RecordConsent(tx, rec, c.Keyword); err != nil {
		return false, "", err
	}
	ok, err := bot.Text(tx, now, bot.Note{
		To: ev.Member, Kind: bot.KindReply, Priority: bot.PriorityHigh, From: from,
		Body: func(lang string) string { return joinedText(b.t, lang, c) },
	})
	if err != nil {
		return false, "", fmt.Errorf("tell %s: %w", ev.Member, err)
	}
	return ok, "", nil
}
