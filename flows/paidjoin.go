package flows

import (
	"fmt"
	"strings"
	"time"

	"nudges/bot"
)

// paidJoinLinker is what Payments offers when it serves /p/{token}.
type paidJoinLinker interface {
	PaidJoinLink(token string) string
}

// paid reports whether joining c's list costs money (PRICE).
func paid(c *bot.Client) bool { return c.Payouts.Price > 0 }

// joinPaid answers a join of c's paid list: the phone is not put on the
// list; it gets the price, the monthly renewal, about how many messages
// a month, HELP and STOP, and a payment link (a fresh one each time it
// asks). It joins when its checkout completes (Billing.paidJoin). A
// paying member is already on the list (one that asked to leave is told
// until when); a free member from before the price, or one whose paid
// time ended, gets a link like anyone else.
func (b *Brain) joinPaid(tc *turnCtx, c *bot.Client) error {
	data := map[string]any{"Name": c.Name, "Keyword": c.Keyword}
	sub, err := bot.SubscriptionOn(tc.Tx, c.Keyword, tc.Conv.Phone)
	if err != nil {
		return fmt.Errorf("join %s: %w", c.Keyword, err)
	}
	switch {
	case sub != nil && sub.Paid != "" && sub.PaidEnds.IsZero():
		tc.Say("AlreadyJoined", data)
		return nil
	case sub != nil && sub.Paid != "" && sub.Receiving(tc.Now): // asked to leave
		data["PeriodEnd"] = dayText(tc.Lang(), sub.PaidEnds)
		tc.Say("PaidLeaving", data)
		return nil
	}
	if !c.Payouts.ChargesEnabled || c.Payouts.Account == "" {
		tc.Say("PaidJoinClosed", data)
		return nil
	}
	p, err := tc.Tx.Plan(c.PlanID)
	if err != nil || p == nil {
		return fmt.Errorf("load plan %d: %v", c.PlanID, err)
	}
	link, err := b.paidJoinLink(tc.Tx, c, bot.PaidJoin{Phone: tc.Conv.Phone}, tc.Now)
	if err != nil {
		return err
	}
	data["Price"], data["Quota"], data["Link"] = priceText(c.Payouts.Price, p.Currency), monthly(p), link
	tc.Say("JoinPaid", data)
	return nil
}

// monthly is about how many announcements a month p allows.
func monthly(p *bot.Plan) int {
	switch p.Interval {
	case bot.Week:
		return p.Quota * 52 / 12
	case bot.Year:
		return max(1, (p.Quota+11)/12)
	}
	return p.Quota
}

// paidJoinLink gives j.Phone a fresh /p/{token} link to c's list (a
// checkout, or with j.Customer set the card update of its subscription),
// and saves c.
func (b *Brain) paidJoinLink(tx bot.Tx, c *bot.Client, j bot.PaidJoin, now time.Time) (string, error) {
	if err := ensurePayToken(tx, c); err != nil {
		return "", err
	}
	secret, err := newBillToken()
	if err != nil {
		return "", err
	}
	j.Secret = secret
	token := c.AddPaidJoin(j, now)
	if err := tx.PutClient(c); err != nil {
		return "", fmt.Errorf("save payment link of %s: %w", c.Keyword, err)
	}
	if l, ok := b.Payments.(paidJoinLinker); ok {
		return l.PaidJoinLink(token), nil
	}
	return strings.TrimRight(b.PublicURL, "/") + "/p/" + token, nil
}

// leavePaid is LEAVE of a paid membership: the subscription is cancelled
// at period end (a leader job tells the provider) and the phone stays on
// the list, getting announcements, until then. Asking again says the same.
func leavePaid(tc *turnCtx, l listed) error {
	s := l.Subscription
	until, err := bot.AskPaidCancel(tc.Tx, &s, tc.Now)
	if err != nil {
		return err
	}
	if err := tc.Tx.PutSubscription(s); err != nil {
		return fmt.Errorf("leave %s: %w", l.Keyword, err)
	}
	tc.Say("LeftPaid", map[string]any{"Name": l.Name, "Keyword": l.Keyword, "PeriodEnd": dayText(tc.Lang(), until)})
	return nil
}
