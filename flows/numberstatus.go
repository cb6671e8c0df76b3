package flows

import (
	"fmt"

	"nudges/bot"
)

// numberStatus answers NUMBER (NUMERO): the client's own number, its kind
// and state, and what to do next; a client on a shared plan hears the
// service number.
func (b *Brain) numberStatus(tc *turnCtx) error {
	c := tc.client
	if c == nil {
		return b.clientOnly(tc, tc.m.Word)
	}
	service := b.serviceNumberOf(c)
	n := c.Own
	if n == nil {
		return b.noNumber(tc, c, service)
	}
	data := map[string]any{
		"Number": bot.FormatNumber(n.Phone), "TollFree": n.Kind == bot.NumberTollFree,
		"Service": bot.FormatNumber(bot.Phone(service)), "Since": dayText(tc.Lang(), n.Since),
		"Reason": cut(n.Reason, 80), "Keyword": c.Keyword,
	}
	if err := b.askNow(tc, c); err != nil {
		return err
	}
	id, ok := numberStateMessage[n.State]
	if !ok {
		id = "NumberProvisioning"
	}
	tc.Say(id, data)
	return nil
}

// noNumber answers NUMBER for a client without an own number: its plan
// has none (the service number), or it comes once the plan is paid.
func (b *Brain) noNumber(tc *turnCtx, c *bot.Client, service string) error {
	p, err := tc.Tx.Plan(c.PlanID)
	if err != nil {
		return fmt.Errorf("load plan %d: %w", c.PlanID, err)
	}
	data := map[string]any{"Keyword": c.Keyword, "Number": bot.FormatNumber(bot.Phone(service)), "Service": bot.FormatNumber(bot.Phone(service))}
	if p != nil && (p.Number == bot.NumberLocal || p.Number == bot.NumberTollFree) {
		data["TollFree"] = p.Number == bot.NumberTollFree
		tc.Say("NumberAfterPay", data)
		return nil
	}
	tc.Say("NumberShared", data)
	return nil
}

// numberStateMessage is the NUMBER reply for each state of an own number.
var numberStateMessage = map[bot.NumberState]string{
	bot.NumberProvisioning: "NumberProvisioning",
	bot.NumberVerifying:    "NumberVerifying",
	bot.NumberRejected:     "NumberRejected",
	bot.NumberReady:        "NumberIsReady",
	bot.NumberReleased:     "NumberReleased",
}

// askNow makes a submitted toll-free verification due at once and wakes
// the number worker (NumberAsked), which asks Twilio on its next pass
// instead of within the hour.
func (b *Brain) askNow(tc *turnCtx, c *bot.Client) error {
	n := c.Own
	if n == nil || n.State != bot.NumberVerifying || n.VerificationSID == "" || n.NextTry.IsZero() {
		return nil
	}
	n.AskNow()
	if err := b.saveClient(tc, c); err != nil {
		return err
	}
	if b.NumberAsked != nil {
		b.NumberAsked()
	}
	return nil
}
