package admin

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"nudges/bot"
)

// Limits of the discount-code form.
const (
	codeMinLen    = 3
	codeMaxLen    = 20
	codeMaxMonths = 36
	codeMaxUses   = 1000000
)

// discount validates f into a new code made at now; false (with f.Errors
// set) when a field is wrong.
func (f *codeForm) discount(now time.Time) (*bot.Discount, bool) {
	d := &bot.Discount{Code: f.Code, Duration: f.Duration, CreatedAt: now}
	if !codeText(f.Code) {
		f.Errors["code"] = "3 to 20 letters A–Z or digits, like SPRING20."
	}
	f.off(d)
	switch f.Duration {
	case bot.DurationOnce, bot.DurationForever:
	case bot.DurationRepeating:
		n, err := strconv.Atoi(f.Months)
		if err != nil || n < 1 || n > codeMaxMonths {
			f.Errors["months"] = "A whole number of months from 1 to 36."
		}
		d.Months = n
	default:
		f.Errors["duration"] = "Pick one payment, some months or forever."
	}
	if f.MaxUses != "" {
		n, err := strconv.Atoi(f.MaxUses)
		if err != nil || n < 1 || n > codeMaxUses {
			f.Errors["max_uses"] = "Leave empty for no limit, or a whole number from 1 to 1000000."
		}
		d.MaxUses = n
	}
	f.expiry(d, now)
	f.plans(d)
	return d, len(f.Errors) == 0
}

// off reads the percent or the amount off.
func (f *codeForm) off(d *bot.Discount) {
	switch f.Kind {
	case "percent":
		n, err := strconv.Atoi(f.Value)
		if err != nil || n < 1 || n > 100 {
			f.Errors["value"] = "A percent off is a whole number from 1 to 100."
		}
		d.PercentOff = n
	case "amount":
		if !bot.KnownCurrency(f.Currency) {
			f.Errors["currency"] = "Use a 3-letter ISO currency code Stripe supports: " + strings.Join(bot.Currencies(), ", ") + "."
			return
		}
		minor, err := parsePrice(f.Value, f.Currency)
		if err != nil {
			f.Errors["value"] = "An amount off like 5.00 (more than 0, at most 100000)."
		}
		d.AmountOff, d.Currency = minor, f.Currency
	default:
		f.Errors["kind"] = "Pick percent or amount off."
	}
}

// expiry reads the last day the code works (YYYY-MM-DD, UTC): it expires
// at the end of that day.
func (f *codeForm) expiry(d *bot.Discount, now time.Time) {
	if f.Expires == "" {
		return
	}
	day, err := time.Parse("2006-01-02", f.Expires)
	if err != nil {
		f.Errors["expires"] = "A date like 2027-03-31, or empty for never."
		return
	}
	d.ExpiresAt = day.AddDate(0, 0, 1)
	if !d.ExpiresAt.After(now) || d.ExpiresAt.After(now.AddDate(5, 0, 0)) {
		f.Errors["expires"] = "A day from today to 5 years ahead."
	}
}

// plans checks the plans the code applies to exist.
func (f *codeForm) plans(d *bot.Discount) {
	for _, id := range f.Plans {
		if !slices.ContainsFunc(f.AllPlans, func(p bot.Plan) bool { return p.ID == id }) {
			f.Errors["plans"] = "Pick plans from the list."
			return
		}
	}
	d.Plans = f.Plans
}

// codeText reports whether s can be a code: what CODE SPRING20 reads.
func codeText(s string) bool {
	if len(s) < codeMinLen || len(s) > codeMaxLen {
		return false
	}
	for _, r := range s {
		if !('A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			return false
		}
	}
	return true
}

// picked reports whether plan id is ticked on the form.
func (f codeForm) Picked(id uint64) bool { return slices.Contains(f.Plans, id) }
