package stripe

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	stripego "github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"

	"nudges/bot"
	"nudges/webhooks/netguard"
)

// API makes the Stripe calls the service needs: Checkout and Billing Portal
// sessions and plan sync. Every call happens in an HTTP handler (or the
// console), never inside a database transaction or an SMS turn.
type API struct {
	sc     *client.API
	cfg    Config
	prices sync.Map // price id → priceTerms, as read from or sent to Stripe
}

// NewAPI returns a Stripe client for cfg.SecretKey whose calls go to
// cfg.APIBase (stripe-mock in tests). Inside a test binary its transport
// refuses every host but loopback, so no test can reach real Stripe.
func NewAPI(cfg Config) *API {
	be := stripego.GetBackendWithConfig(stripego.APIBackend, &stripego.BackendConfig{
		URL:               stripego.String(cfg.apiBase()),
		MaxNetworkRetries: stripego.Int64(2),
		HTTPClient:        &http.Client{Timeout: Timeout, Transport: netguard.ForProvider()},
		LeveledLogger:     &stripego.LeveledLogger{Level: stripego.LevelError},
	})
	return &API{sc: client.New(cfg.SecretKey, &stripego.Backends{API: be, Connect: be, Uploads: be}), cfg: cfg}
}

// metadata names the client and plan on every object a checkout creates.
func metadata(c *bot.Client, p *bot.Plan) map[string]string {
	return map[string]string{"phone": string(c.Phone), "plan": strconv.FormatUint(p.ID, 10)}
}

// Checkout creates a subscription-mode Checkout Session for c on plan p,
// whose price must be synced, and returns its id and where it pays. With d
// (synced to Stripe) the session carries that discount; without, the
// client may type a code on Checkout. A client's first subscription starts
// with p's trial.
func (a *API) Checkout(ctx context.Context, c *bot.Client, p *bot.Plan, d *bot.Discount) (id string, open bot.OpenCheckout, err error) {
	base := a.cfg.publicURL() + PathPay + c.PayToken
	params := &stripego.CheckoutSessionParams{
		Mode:              stripego.String(string(stripego.CheckoutSessionModeSubscription)),
		ClientReferenceID: stripego.String(string(c.Phone)),
		LineItems: []*stripego.CheckoutSessionLineItemParams{
			{Price: stripego.String(p.StripePriceID), Quantity: stripego.Int64(1)},
		},
		SuccessURL:       stripego.String(base + "/done"),
		CancelURL:        stripego.String(base + "/canceled"),
		SubscriptionData: &stripego.CheckoutSessionSubscriptionDataParams{Metadata: metadata(c, p)},
	}
	params.Context = ctx
	code := ""
	if d != nil && d.StripePromoID != "" {
		params.Discounts = []*stripego.CheckoutSessionDiscountParams{{PromotionCode: stripego.String(d.StripePromoID)}}
		code = d.Code
	} else {
		params.AllowPromotionCodes = stripego.Bool(true)
	}
	if days := trialDays(c, p); days > 0 {
		params.SubscriptionData.TrialPeriodDays = stripego.Int64(int64(days))
	}
	for k, v := range metadata(c, p) {
		params.AddMetadata(k, v)
	}
	if c.CustomerID != "" {
		params.Customer = stripego.String(c.CustomerID)
	}
	if c.Locale == bot.Spanish {
		params.Locale = stripego.String("es")
	}
	s, err := a.sc.CheckoutSessions.New(params)
	if err != nil {
		return "", bot.OpenCheckout{}, fmt.Errorf("create checkout session for %s: %w", c.Phone, err)
	}
	return s.ID, bot.OpenCheckout{URL: s.URL, Price: p.StripePriceID, Expires: time.Unix(s.ExpiresAt, 0).UTC(), Code: code}, nil
}

// trialDays is the trial c's subscription to p starts with: p's, for a
// client that never went live before.
func trialDays(c *bot.Client, p *bot.Plan) int {
	if c.LiveAt.IsZero() {
		return p.TrialDays
	}
	return 0
}

// Portal creates a Billing Portal session for c's customer and returns its URL.
func (a *API) Portal(ctx context.Context, c *bot.Client) (string, error) {
	params := &stripego.BillingPortalSessionParams{
		Customer:  stripego.String(c.CustomerID),
		ReturnURL: stripego.String(a.cfg.publicURL() + PathBilling + c.PayToken + "/done"),
	}
	params.Context = ctx
	if c.Locale == bot.Spanish {
		params.Locale = stripego.String("es")
	}
	s, err := a.sc.BillingPortalSessions.New(params)
	if err != nil {
		return "", fmt.Errorf("create billing portal session for %s: %w", c.Phone, err)
	}
	return s.URL, nil
}
