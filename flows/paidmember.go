package flows

import (
	"fmt"
	"time"

	"nudges/bot"
)

// Marks kept in the event log (a month, as event ids are): a paid list's
// subscription that ended, so that its late or replayed events never
// bring the member back, and an invoice whose failure the member was
// already told of.
const (
	markEnded = "paid-ended/"
	markCard  = "paid-card/"
)

// listEvent applies an event of a paid list's subscription, whose
// metadata names the list and the paying phone: the checkout makes the
// phone a member, invoice.paid counts the month's revenue and moves the
// period, a failed payment texts a card-update link once per invoice,
// and the end of the subscription (deleted, or unpaid) takes the member
// off the list. Any arrival order ends in the same state.
func (b *Billing) listEvent(tx bot.Tx, ev bot.BillingEvent, now time.Time) (bool, string, error) {
	if ev.Member == "" {
		return false, "paid list event without a phone", nil
	}
	c, err := tx.ClientByKeyword(ev.List)
	if err != nil {
		return false, "", fmt.Errorf("paid list %s: %w", ev.List, err)
	}
	if c == nil {
		return false, "no such list", nil
	}
	if ev.Type == bot.EventInvoicePaid {
		return false, "", b.listPaid(tx, c, ev)
	}
	if ended, err := marked(tx, markEnded, ev.SubscriptionID); err != nil || ended {
		return false, "its subscription ended", err
	}
	switch {
	case ev.Type == bot.EventSubscriptionDeleted || ev.SubStatus == "unpaid" || ev.SubStatus == "canceled":
		return b.paidEnd(tx, c, ev, now)
	case ev.Type == bot.EventCheckoutCompleted && ev.Status == bot.ClientActive:
		return b.paidJoin(tx, c, ev, now)
	case ev.Type == bot.EventCheckoutCompleted:
		return false, "paid list checkout not paid", nil
	case ev.Type == bot.EventSubscriptionUpdated:
		return false, "", b.paidPeriod(tx, c, ev)
	case ev.Type == bot.EventInvoiceFailed:
		return b.cardLink(tx, c, ev, now)
	}
	return false, "paid list event not acted on", nil
}

// marked reports whether the event log holds mark+id ("" never is).
func marked(tx bot.EventLog, mark, id string) (bool, error) {
	if id == "" {
		return false, nil
	}
	return tx.EventApplied(mark + id)
}

// member is ev.Member's subscription to c's list when it is paid by ev's
// subscription, nil otherwise.
func member(tx bot.Tx, c *bot.Client, ev bot.BillingEvent) (*bot.Subscription, error) {
	s, err := bot.SubscriptionOn(tx, c.Keyword, ev.Member)
	if err != nil || s == nil || s.Paid == "" || s.Paid != ev.SubscriptionID {
		return nil, err
	}
	return s, nil
}

// paidJoin puts the phone that paid on c's list (or makes its free or
// ended membership a paid one), records its consent and texts it the join
// confirmation. A phone that opted out of the list's sender meanwhile is
// not put back on it; a replay or a phone already paying changes nothing
// and sends nothing.
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
	s := bot.Subscription{Keyword: c.Keyword, Phone: ev.Member, JoinedAt: now, Source: source, Paid: ev.SubscriptionID, PaidUntil: now.AddDate(0, 1, 0)}
	old, err := bot.SubscriptionOn(tx, c.Keyword, ev.Member)
	switch {
	case err != nil:
		return false, "", err
	case old != nil && old.Paid != "" && old.Receiving(now):
		return false, "already a member", nil
	case old != nil: // a free member from before the price, or one whose paid time ended
		old.Paid, old.PaidUntil, old.PaidEnds = s.Paid, s.PaidUntil, time.Time{}
		err = tx.PutSubscription(*old)
	default:
		_, err = tx.AddSubscription(s)
	}
	if err != nil {
		return false, "", fmt.Errorf("paid join %s: %w", c.Keyword, err)
	}
	rec := bot.ConsentRecord{At: now, Phone: ev.Member, Kind: bot.ConsentJoin, Note: source}
	if err := bot.RecordConsent(tx, rec, c.Keyword); err != nil {
		return false, "", err
	}
	return b.tellMember(tx, c, ev.Member, now, func(lang string) string { return joinedText(b.t, lang, c) })
}

// paidEnd takes the member off c's list when its subscription ended
// (deleted, or unpaid: then it is cancelled too, so that it is not charged
// for a list it no longer gets), and marks the subscription ended. A
// member that had not asked to leave is told.
func (b *Billing) paidEnd(tx bot.Tx, c *bot.Client, ev bot.BillingEvent, now time.Time) (bool, string, error) {
	if ev.Type == bot.EventSubscriptionDeleted {
		if err := tx.MarkEventApplied(markEnded+ev.SubscriptionID, now); err != nil {
			return false, "", err
		}
		if err := tx.DeletePaidCancel(ev.SubscriptionID); err != nil {
			return false, "", fmt.Errorf("drop cancellation of %s: %w", ev.SubscriptionID, err)
		}
	}
	s, err := member(tx, c, ev)
	if err != nil || s == nil {
		return false, "not a paying member", err
	}
	leaving := !s.PaidEnds.IsZero()
	if ev.Type != bot.EventSubscriptionDeleted {
		if _, err := bot.AskPaidCancel(tx, s, now); err != nil {
			return false, "", err
		}
	}
	if _, err := tx.Unsubscribe(c.Keyword, ev.Member); err != nil {
		return false, "", fmt.Errorf("end paid membership of %s: %w", ev.Member, err)
	}
	rec := bot.ConsentRecord{At: now, Phone: ev.Member, Kind: bot.ConsentLeave, Note: "paid subscription " + ev.SubscriptionID + " ended"}
	if err := bot.RecordConsent(tx, rec, c.Keyword); err != nil {
		return false, "", err
	}
	if leaving {
		return false, "", nil
	}
	data := map[string]any{"Name": c.Name, "Keyword": c.Keyword}
	return b.tellMember(tx, c, ev.Member, now, func(lang string) string { return b.t.T(lang, "PaidEnded", data) })
}

// paidPeriod moves the member's paid period forward as the provider says
// (never back: a late event of an earlier period changes nothing).
func (b *Billing) paidPeriod(tx bot.Tx, c *bot.Client, ev bot.BillingEvent) error {
	s, err := member(tx, c, ev)
	if err != nil || s == nil || !ev.PeriodEnd.After(s.PaidUntil) {
		return err
	}
	s.PaidUntil = ev.PeriodEnd
	return tx.PutSubscription(*s)
}

// listPaid counts a paid invoice in c's month's revenue, once per event,
// and moves the member's period.
func (b *Billing) listPaid(tx bot.Tx, c *bot.Client, ev bot.BillingEvent) error {
	if ev.Amount > 0 {
		c.Payouts.AddRevenue(ev.Amount, time.Unix(ev.Created, 0))
		if err := tx.PutClient(c); err != nil {
			return fmt.Errorf("count revenue of %s: %w", c.Keyword, err)
		}
	}
	return b.paidPeriod(tx, c, ev)
}

// cardLink texts a member whose payment failed a link to update its card,
// once per invoice (Stripe retries a payment several times).
func (b *Billing) cardLink(tx bot.Tx, c *bot.Client, ev bot.BillingEvent, now time.Time) (bool, string, error) {
	s, err := member(tx, c, ev)
	if err != nil || s == nil || ev.CustomerID == "" {
		return false, "not a paying member", err
	}
	if told, err := marked(tx, markCard, ev.InvoiceID); err != nil || told {
		return false, "told of this invoice already", err
	}
	if ev.InvoiceID != "" {
		if err := tx.MarkEventApplied(markCard+ev.InvoiceID, now); err != nil {
			return false, "", err
		}
	}
	link, err := b.brain.paidJoinLink(tx, c, bot.PaidJoin{Phone: ev.Member, Customer: ev.CustomerID}, now)
	if err != nil {
		return false, "", err
	}
	data := map[string]any{"Name": c.Name, "Keyword": c.Keyword, "Link": link}
	return b.tellMember(tx, c, ev.Member, now, func(lang string) string { return b.t.T(lang, "PaidCardUpdate", data) })
}

// tellMember texts p from c's sender, unless p opted out of it.
func (b *Billing) tellMember(tx bot.Tx, c *bot.Client, p bot.Phone, now time.Time, body func(string) string) (bool, string, error) {
	ok, err := bot.Text(tx, now, bot.Note{To: p, Kind: bot.KindReply, Priority: bot.PriorityHigh, From: bot.SenderOf(c), Body: body})
	if err != nil {
		return false, "", fmt.Errorf("tell %s: %w", p, err)
	}
	return ok, "", nil
}
