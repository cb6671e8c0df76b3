package store

import (
	"fmt"
	"strings"

	"nudges/bot"
)

// bDiscounts: CODE → bot.Discount, the console's discount codes.
var bDiscounts = []byte("discounts")

var _ bot.Discounts = (*Tx)(nil)

// Discount implements bot.Discounts.
func (t *Tx) Discount(code string) (*bot.Discount, error) {
	code = strings.ToUpper(code)
	if code == "" {
		return nil, nil
	}
	d := &bot.Discount{}
	ok, err := t.getJSON(bDiscounts, []byte(code), d)
	if !ok || err != nil {
		return nil, err
	}
	return d, nil
}

// Discounts implements bot.Discounts.
func (t *Tx) Discounts() ([]bot.Discount, error) {
	var out []bot.Discount
	err := t.b(bDiscounts).ForEach(func(k, v []byte) error {
		var d bot.Discount
		if err := jsonDecode(v, &d); err != nil {
			return fmt.Errorf("decode discount %q: %w", k, err)
		}
		out = append(out, d)
		return nil
	})
	return out, err
}

// PutDiscount implements bot.Discounts.
func (t *Tx) PutDiscount(d *bot.Discount) error {
	d.Code = strings.ToUpper(d.Code)
	if d.Code == "" {
		return fmt.Errorf("discount without a code")
	}
	return t.putJSON(bDiscounts, []byte(d.Code), d)
}
