package flows

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"nudges/bot"
)

// plan answers PLAN/BILLING: the plan, the status and the period end, with
// the billing link when paid or a fresh payment link when not.
func (b *Brain) plan(tc *turnCtx) error {
	c := tc.client
	if c == nil {
		return b.clientOnly(tc, tc.m.Word)
	}
	p, err := tc.Tx.Plan(c.PlanID)
	if err != nil {
		return fmt.Errorf("load plan %d: %w", c.PlanID, err)
	}
	data := planData(tc.Turn, p)
	data["Status"], data["PeriodEnd"] = statusWord(tc.Turn, c.Status), dayText(tc.Lang(), c.PeriodEnd)
	data["Support"] = b.Support
	if data["Link"], _, err = b.BillingLink(tc.Tx, c, tc.Now); err != nil {
		return err
	}
	id := "PlanUnpaid"
	switch c.Status {
	case bot.ClientActive:
		id = "PlanPaid"
	case bot.ClientPastDue:
		id = "PlanPastDue"
	case bot.ClientSuspended:
		id = "PlanSuspended"
	}
	tc.Say(id, data)
	return planDiscount(tc, c, p)
}

// BillingLink is the link PLAN texts c: a fresh Billing Portal link (the
// last one stops working) when c pays (active or past due, with a
// customer), else its payment link; portal says which. It saves c.
func (b *Brain) BillingLink(tx bot.Tx, c *bot.Client, now time.Time) (link string, portal bool, err error) {
	if err := ensurePayToken(tx, c); err != nil {
		return "", false, err
	}
	if (c.Status == bot.ClientActive || c.Status == bot.ClientPastDue) && c.CustomerID != "" {
		link, err := b.billingLink(tx, c, now)
		return link, true, err
	}
	return b.payLink(c), false, nil
}

// stats answers STATS: subscribers, announcements left this period, period end.
func (b *Brain) stats(tc *turnCtx) error {
	c := tc.client
	if c == nil {
		return b.clientOnly(tc, tc.m.Word)
	}
	p, err := tc.Tx.Plan(c.PlanID)
	if err != nil {
		return fmt.Errorf("load plan %d: %w", c.PlanID, err)
	}
	data := planData(tc.Turn, p)
	quota, _ := data["Quota"].(int)
	data["Keyword"], data["Subscribers"] = c.Keyword, c.Subscribers
	data["Left"], data["Status"] = max(quota-c.Used, 0), statusWord(tc.Turn, c.Status)
	data["PeriodEnd"] = dayText(tc.Lang(), c.PeriodEnd)
	id := "Stats"
	if c.PeriodEnd.IsZero() {
		id = "StatsNoPeriod"
	}
	tc.Say(id, data)
	if err := b.paidStats(tc, c); err != nil {
		return err
	}
	return lastAnnouncement(tc, c)
}

// paidStats adds to STATS a paid list's paying members and this month's
// revenue, for a list with a price or members still paying.
func (b *Brain) paidStats(tc *turnCtx, c *bot.Client) error {
	s, err := bot.SummarizePaid(tc.Tx, c, tc.Now, b.PlatformFee)
	if err != nil || (s.Price == 0 && s.Members == 0 && s.Revenue == 0) {
		return err
	}
	id := "StatsPaid"
	if s.Price == 0 {
		id = "StatsPaidFree"
	}
	tc.Say(id, map[string]any{"Count": s.Members, "Price": priceText(s.Price, s.Currency),
		"Amount": priceText(s.Revenue, s.Currency), "Fee": s.Fee})
	return nil
}

// lastAnnouncement adds to STATS the reach of c's latest announcement and
// the clicks on its links.
func lastAnnouncement(tc *turnCtx, c *bot.Client) error {
	if c.LastAnnouncement == 0 {
		return nil
	}
	a, err := tc.Tx.Announcement(c.LastAnnouncement)
	if err != nil || a == nil {
		return err
	}
	data := map[string]any{"Sent": a.Counts[bot.StatusSent] + a.Counts[bot.StatusDelivered], "Total": a.Total}
	if len(a.Links) == 0 {
		tc.Say("StatsLast", data)
		return nil
	}
	clicks, err := tc.Tx.Clicks(a.Links)
	if err != nil {
		return fmt.Errorf("count clicks: %w", err)
	}
	data["Clicks"] = clicks
	tc.Say("StatsLastClicks", data)
	return nil
}

// planData is a plan as messages show it: Plan, Price, Interval, Quota.
func planData(t *bot.Turn, p *bot.Plan) map[string]any {
	if p == nil {
		return map[string]any{"Plan": "-", "Price": "-", "Interval": "-", "Quota": 0}
	}
	return map[string]any{
		"Plan": p.Name, "Price": priceText(p.PriceMinor, p.Currency),
		"Interval": t.T.T(t.Lang(), "Interval_"+string(p.Interval), nil), "Quota": p.Quota,
	}
}

// planLines numbers plans: "1. Starter: $9.00/month, 30 announcements".
func planLines(t *bot.Turn, plans []bot.Plan) string {
	lines := make([]string, 0, len(plans))
	for i, p := range plans {
		data := planData(t, &p)
		data["N"] = i + 1
		lines = append(lines, t.T.T(t.Lang(), "SignupPlanLine", data))
	}
	return strings.Join(lines, "\n")
}

// priceText formats minor units: $9.00, €9.00, £9.00, else "9.00 CHF".
func priceText(minor int64, currency string) string {
	cur := strings.ToUpper(currency)
	amount := fmt.Sprintf("%d.%02d", minor/100, minor%100)
	if bot.ZeroDecimal(currency) {
		amount = strconv.FormatInt(minor, 10)
	}
	switch cur {
	case "USD":
		return "$" + amount
	case "EUR":
		return "€" + amount
	case "GBP":
		return "£" + amount
	}
	return amount + " " + cur
}

var monthsShortES = [...]string{"ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"}

// dayText is a date as a client reads it: "Feb 5, 2026" or "5 feb 2026".
func dayText(lang string, t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	if lang == bot.Spanish {
		return fmt.Sprintf("%d %s %d", t.Day(), monthsShortES[t.Month()-1], t.Year())
	}
	return t.Format("Jan 2, 2006")
}

// statusWord is a client status in the reader's language.
func statusWord(t *bot.Turn, s bot.ClientStatus) string {
	return t.T.T(t.Lang(), "Status_"+string(s), nil)
}
