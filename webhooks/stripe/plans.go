package stripe

import (
	"context"
	"fmt"
	"strconv"

	stripego "github.com/stripe/stripe-go/v76"

	"nudges/bot"
)

// SyncPlan mirrors p to a Stripe product and a recurring price, creating
// what is missing and setting p.StripeProductID and p.StripePriceID; the
// caller saves p. Prices are immutable in Stripe: when p's amount, currency
// or interval changed, a new price replaces the old one, which is archived.
// An inactive plan archives its product.
func (a *API) SyncPlan(ctx context.Context, p *bot.Plan) error {
	if err := a.syncProduct(ctx, p); err != nil {
		return err
	}
	current, err := a.priceMatches(ctx, p)
	if err != nil || current {
		return err
	}
	params := &stripego.PriceParams{
		Product:    stripego.String(p.StripeProductID),
		Currency:   stripego.String(p.Currency),
		UnitAmount: stripego.Int64(p.PriceMinor),
		Nickname:   stripego.String(p.Name),
		Recurring:  &stripego.PriceRecurringParams{Interval: stripego.String(string(p.Interval))},
	}
	params.Context = ctx
	params.AddMetadata("plan", strconv.FormatUint(p.ID, 10))
	price, err := a.sc.Prices.New(params)
	if err != nil {
		return fmt.Errorf("create price for plan %d: %w", p.ID, err)
	}
	old := p.StripePriceID
	p.StripePriceID = price.ID
	a.prices.Store(price.ID, termsOf(p))
	if old != "" {
		archive := &stripego.PriceParams{Active: stripego.Bool(false)}
		archive.Context = ctx
		if _, err := a.sc.Prices.Update(old, archive); err != nil {
			return fmt.Errorf("archive price %s of plan %d: %w", old, p.ID, err)
		}
	}
	return nil
}

func (a *API) syncProduct(ctx context.Context, p *bot.Plan) error {
	params := &stripego.ProductParams{Name: stripego.String(p.Name), Active: stripego.Bool(p.Active)}
	params.Context = ctx
	if p.Description != "" {
		params.Description = stripego.String(p.Description)
	}
	params.AddMetadata("plan", strconv.FormatUint(p.ID, 10))
	if p.StripeProductID != "" {
		if _, err := a.sc.Products.Update(p.StripeProductID, params); err != nil {
			return fmt.Errorf("update product %s of plan %d: %w", p.StripeProductID, p.ID, err)
		}
		return nil
	}
	prod, err := a.sc.Products.New(params)
	if err != nil {
		return fmt.Errorf("create product for plan %d: %w", p.ID, err)
	}
	p.StripeProductID = prod.ID
	return nil
}

// priceTerms is what a Stripe price charges. Stripe never changes these on
// a price, so once read they are remembered by price id.
type priceTerms struct {
	Amount   int64
	Currency string
	Interval string
	Product  string
}

func termsOf(p *bot.Plan) priceTerms {
	return priceTerms{Amount: p.PriceMinor, Currency: p.Currency, Interval: string(p.Interval), Product: p.StripeProductID}
}

// PriceCurrent reports whether p's Stripe price charges what p says: its
// amount, currency and interval, on its product. It asks Stripe only the
// first time it sees a price id.
func (a *API) PriceCurrent(ctx context.Context, p *bot.Plan) (bool, error) {
	return a.priceMatches(ctx, p)
}

// priceMatches reports whether p's current Stripe price still says what p says.
func (a *API) priceMatches(ctx context.Context, p *bot.Plan) (bool, error) {
	if p.StripePriceID == "" {
		return false, nil
	}
	if t, ok := a.prices.Load(p.StripePriceID); ok {
		return t.(priceTerms) == termsOf(p), nil
	}
	params := &stripego.PriceParams{}
	params.Context = ctx
	pr, err := a.sc.Prices.Get(p.StripePriceID, params)
	if err != nil {
		return false, fmt.Errorf("read price %s of plan %d: %w", p.StripePriceID, p.ID, err)
	}
	t := priceTerms{Amount: pr.UnitAmount, Currency: string(pr.Currency)}
	if pr.Recurring != nil {
		t.Interval = string(pr.Recurring.Interval)
	}
	if pr.Product != nil {
		t.Product = pr.Product.ID
	}
	a.prices.Store(p.StripePriceID, t)
	return t == termsOf(p), nil
}
