package flows

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"nudges/bot"
)

// CmdPrice sets what joining the client's list costs a month
// (flows/price.go).
const CmdPrice Cmd = "price"

// Paid list price bounds, in minor units of the plan's currency: 1.00 to
// 1000.00, or 100 to 100000 of a zero-decimal currency such as JPY.
const (
	PriceMin = 100
	PriceMax = 100000
)

// priceWord is PRICE's argument: OFF (NO), or one amount with an optional
// currency sign and up to two decimals (5, 4.99, $5, 4,99).
var priceWord = regexp.MustCompile(`^[$€£]?[0-9]{1,7}([.,][0-9]{1,2})?$`)

func priceShape(s string) bool { return s == "OFF" || s == "NO" || priceWord.MatchString(s) }

// price answers PRICE n, PRICE OFF and PRICE: sets or shows the monthly
// price of the client's list. A price needs payouts that take charges;
// OFF makes the list free for new members.
func (b *Brain) price(tc *turnCtx) error {
	c := tc.client
	if c == nil {
		return b.clientOnly(tc, tc.m.Word)
	}
	p, err := tc.Tx.Plan(c.PlanID)
	if err != nil || p == nil {
		return fmt.Errorf("load plan %d: %v", c.PlanID, err)
	}
	data := map[string]any{"Keyword": c.Keyword, "Price": priceText(c.Payouts.Price, p.Currency), "Fee": b.PlatformFee}
	switch arg := tc.m.Arg; {
	case arg == "":
		if c.Payouts.Price == 0 {
			tc.Say("PriceFree", data)
		} else {
			tc.Say("PriceIs", data)
		}
		return nil
	case arg == "OFF" || arg == "NO":
		c.Payouts.Price = 0
		tc.Say("PriceOff", data)
		return tc.Tx.PutClient(c)
	case !c.Payouts.ChargesEnabled:
		tc.Say("PriceNeedsPayouts", data)
		return nil
	}
	minor, ok := priceMinor(tc.m.Arg, p.Currency)
	if !ok {
		data["Min"], data["Max"] = priceText(PriceMin, p.Currency), priceText(PriceMax, p.Currency)
		tc.Say("PriceBounds", data)
		return nil
	}
	c.Payouts.Price, data["Price"] = minor, priceText(minor, p.Currency)
	tc.Say("PriceSet", data)
	return tc.Tx.PutClient(c)
}

// priceMinor reads a PRICE amount into minor units of currency; false when
// it is out of bounds or has decimals a zero-decimal currency has not.
func priceMinor(arg, currency string) (int64, bool) {
	s := strings.TrimLeft(arg, "$€£")
	whole, frac, _ := strings.Cut(strings.ReplaceAll(s, ",", "."), ".")
	n, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, false
	}
	minor := n * 100
	if bot.ZeroDecimal(currency) {
		minor = n // 500 JPY is 500
		if strings.Trim(frac, "0") != "" {
			return 0, false
		}
	} else if frac != "" {
		f, _ := strconv.ParseInt((frac + "0")[:2], 10, 64)
		minor += f
	}
	return minor, minor >= PriceMin && minor <= PriceMax
}
