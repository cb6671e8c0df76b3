package bot

import (
	"strings"
	"time"
)

// Discount durations: how many payments a code takes money off.
const (
	DurationOnce      = "once"      // the first payment
	DurationRepeating = "repeating" // Months months
	DurationForever   = "forever"   // every payment
)

// Why a discount code is refused (Discount.Refusal); each has its own
// reply.
const (
	CodeUnknown   = "unknown"
	CodeExpired   = "expired"
	CodeUsedUp    = "used_up"
	CodeWrongPlan = "wrong_plan"
)

// Discount is a discount code an admin made in the console: percent or
// amount off, for one payment, some months or forever, on some plans.
type Discount struct {
	Code       string `json:"code"`        // upper case letters and digits, the key
	PercentOff int    `json:"percent_off"` // 1–100, or 0 when AmountOff is set
	AmountOff  int64  `json:"amount_off"`  // minor units of Currency
	Currency   string `json:"currency,omitempty"`
	Duration   string `json:"duration"`         // DurationOnce, DurationRepeating, DurationForever
	Months     int    `json:"months,omitempty"` // with DurationRepeating
	// Plans the code applies to; empty means every plan.
	Plans     []uint64  `json:"plans,omitempty"`
	MaxUses   int       `json:"max_uses,omitempty"` // 0: no limit
	Uses      int       `json:"uses"`               // checkouts completed with it
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	Archived  bool      `json:"archived,omitempty"`
	// Stripe's objects for the code, when Stripe is configured.
	StripeCouponID string    `json:"stripe_coupon_id,omitempty"`
	StripePromoID  string    `json:"stripe_promo_id,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
}

// Refusal is why d cannot be used on plan now ("" when it can): one of the
// Code* reasons. A nil or archived code is unknown.
func (d *Discount) Refusal(plan uint64, now time.Time) string {
	switch {
	case d == nil || d.Archived:
		return CodeUnknown
	case !d.ExpiresAt.IsZero() && !now.Before(d.ExpiresAt):
		return CodeExpired
	case d.MaxUses > 0 && d.Uses >= d.MaxUses:
		return CodeUsedUp
	case !d.AppliesTo(plan):
		return CodeWrongPlan
	}
	return ""
}

// AppliesTo reports whether d may be used on plan.
func (d *Discount) AppliesTo(plan uint64) bool {
	if len(d.Plans) == 0 {
		return true
	}
	for _, id := range d.Plans {
		if id == plan {
			return true
		}
	}
	return false
}

// Price is what a payment of minor units (in currency) costs with d: never
// below zero. An amount off in another currency takes nothing off.
func (d *Discount) Price(minor int64, currency string) int64 {
	switch {
	case d.PercentOff > 0:
		return minor - minor*int64(d.PercentOff)/100
	case strings.EqualFold(d.Currency, currency):
		return max(minor-d.AmountOff, 0)
	}
	return minor
}

// InForce reports whether d still takes money off for a client who first
// paid with it at from (zero: not paid yet), at now.
func (d *Discount) InForce(from, now time.Time) bool {
	switch {
	case from.IsZero():
		return true
	case d.Duration == DurationForever:
		return true
	case d.Duration == DurationRepeating:
		return now.Before(from.AddDate(0, d.Months, 0))
	}
	return false
}

// Discounts keeps the discount codes.
type Discounts interface {
	// Discount returns the code (upper case), nil if there is none.
	Discount(code string) (*Discount, error)
	// Discounts returns every code, in code order.
	Discounts() ([]Discount, error)
	PutDiscount(d *Discount) error
}
