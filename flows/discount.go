package flows

import (
	"fmt"
	"strings"
	"time"

	"nudges/bot"
)

// CmdCode applies a discount code before paying (flows/discount.go).
const CmdCode Cmd = "code"

// codeShape is what a discount code looks like: one word of 3–20 letters
// and digits. "Code SPRING20 gets you 20% off" is an announcement, not a
// command.
func codeShape(s string) bool {
	return len(s) >= 3 && len(s) <= 20 && asciiAlnum(s)
}

// code answers CODE SPRING20: a client that has not paid yet gets the
// code on its payment link, or the reason it cannot have it.
func (b *Brain) code(tc *turnCtx) error {
	c := tc.client
	if c == nil {
		return b.clientOnly(tc, tc.m.Word)
	}
	if tc.m.Arg == "" {
		tc.Say("CodeWhich", nil)
		return nil
	}
	if c.Status != bot.ClientPending && c.Status != bot.ClientCanceled {
		tc.Say("CodeAfterPaying", map[string]any{"Code": tc.m.Arg})
		return nil
	}
	p, err := tc.Tx.Plan(c.PlanID)
	if err != nil {
		return fmt.Errorf("load plan %d: %w", c.PlanID, err)
	}
	d, refusal, err := checkCode(tc, tc.m.Arg, p)
	if err != nil || refusal != "" {
		return err
	}
	c.Discount, c.DiscountFrom = d.Code, time.Time{} // counted when paid
	c.DropCheckout()                                 // the next session carries the code
	if err := ensurePayToken(tc.Tx, c); err != nil {
		return err
	}
	data := discountData(tc.Turn, d, p)
	data["Link"] = b.payLink(c)
	tc.Say("CodeApplied", data)
	return nil
}

// checkCode looks code up for plan p and, when it cannot be used, says why
// (refusal is then the Code* reason).
func checkCode(tc *turnCtx, code string, p *bot.Plan) (*bot.Discount, string, error) {
	d, err := tc.Tx.Discount(code)
	if err != nil {
		return nil, "", fmt.Errorf("load discount %s: %w", code, err)
	}
	var plan uint64
	if p != nil {
		plan = p.ID
	}
	refusal := d.Refusal(plan, tc.Now)
	if refusal != "" {
		tc.Say("CodeRefused_"+refusal, map[string]any{"Code": strings.ToUpper(code), "Plan": planName(p)})
	}
	return d, refusal, nil
}

func planName(p *bot.Plan) string {
	if p == nil {
		return "-"
	}
	return p.Name
}

// discountData is a code as messages show it: Code, Off ("20% off"), For
// ("for 3 months"), and with plan p the Plan and the first payment's Price.
func discountData(t *bot.Turn, d *bot.Discount, p *bot.Plan) map[string]any {
	data := planData(t, p)
	data["Code"], data["Off"], data["For"] = d.Code, discountOff(t, d), discountFor(t, d)
	if p != nil {
		data["Price"] = priceText(d.Price(p.PriceMinor, p.Currency), p.Currency)
		data["Was"] = priceText(p.PriceMinor, p.Currency)
	}
	return data
}

func discountOff(t *bot.Turn, d *bot.Discount) string {
	if d.PercentOff > 0 {
		return t.T.T(t.Lang(), "DiscountPercent", map[string]any{"Percent": d.PercentOff})
	}
	return t.T.T(t.Lang(), "DiscountAmount", map[string]any{"Amount": priceText(d.AmountOff, d.Currency)})
}

func discountFor(t *bot.Turn, d *bot.Discount) string {
	switch d.Duration {
	case bot.DurationForever:
		return t.T.T(t.Lang(), "DiscountForever", nil)
	case bot.DurationRepeating:
		return t.T.T(t.Lang(), "DiscountMonths", map[string]any{"Months": d.Months})
	}
	return t.T.T(t.Lang(), "DiscountOnce", nil)
}

// planDiscount adds to PLAN the client's discount while it is in force.
func planDiscount(tc *turnCtx, c *bot.Client, p *bot.Plan) error {
	line, err := DiscountLine(tc.Tx, tc.T, tc.Lang(), c, p, tc.Now)
	if line != "" {
		tc.Replies = append(tc.Replies, line)
	}
	return err
}

// DiscountLine is PLAN's line about c's discount on plan p, in lang: ""
// when c has none in force at now. The dashboard's Billing page shows it.
func DiscountLine(tx bot.Tx, tr bot.Translator, lang string, c *bot.Client, p *bot.Plan, now time.Time) (string, error) {
	if c.Discount == "" {
		return "", nil
	}
	d, err := tx.Discount(c.Discount)
	if err != nil || d == nil || !discountInForce(c, d, now) {
		return "", err
	}
	t := &bot.Turn{T: tr, Conv: &bot.Conversation{Locale: lang}}
	return tr.T(lang, "PlanDiscount", discountData(t, d, p)), nil
}

// discountInForce reports whether d takes money off c's payments: before
// paying, while the code may still be used on c's plan; after, while its
// duration lasts and the subscription runs.
func discountInForce(c *bot.Client, d *bot.Discount, now time.Time) bool {
	if c.DiscountFrom.IsZero() {
		return d.Refusal(c.PlanID, now) == ""
	}
	return standing(c) != bot.ClientCanceled && d.InForce(c.DiscountFrom, now)
}

// splitCode reads a plan answer that may end with a discount code
// ("1 SPRING20", "Starter SPRING20"): the plan part and the code, "" when
// there is none.
func splitCode(answer string) (plan, code string) {
	i := strings.LastIndexByte(answer, ' ')
	if i < 0 || !codeShape(answer[i+1:]) {
		return answer, ""
	}
	return strings.TrimSpace(answer[:i]), answer[i+1:]
}

// codeStrike counts a refused code (its reason already said) as an
// invalid answer and asks for the plan again, unless that ended the step.
func (b *Brain) codeStrike(tc *turnCtx, err error, plans []bot.Plan) error {
	if err != nil {
		return err
	}
	return b.reask(tc, "SignupCodeRetry", map[string]any{"Count": len(plans)})
}

// pickPlanAndCode reads a plan answer followed by a code: "1 SPRING20", or
// a plan's name and an existing code ("Starter SPRING20"; "starter plan"
// is an unknown plan, not plan Starter with code PLAN). code is "" when
// the answer is not one.
func pickPlanAndCode(tx bot.Discounts, plans []bot.Plan, answer string) (bot.Plan, string, error) {
	name, code := splitCode(answer)
	p, ok := pickPlan(plans, name)
	if !ok || code == "" {
		return bot.Plan{}, "", nil
	}
	if !isNumber(name) {
		d, err := tx.Discount(code)
		if err != nil || d == nil {
			return bot.Plan{}, "", err
		}
	}
	return p, code, nil
}
