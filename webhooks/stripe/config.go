// Package stripe is Nudges' Stripe adapter: the signed /stripe/webhook that
// turns Stripe events into bot.BillingEvents, the short payment and billing
// links sent by SMS (/pay/{token}, /billing/{token}) that create Checkout
// and Billing Portal sessions on click, the payouts link (/connect/{token})
// that onboards a client to Stripe Connect, plan sync to products and prices,
// and the dev checkout that replaces Stripe when no key is configured.
package stripe

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// DefaultAPIBase is where Stripe REST calls go unless STRIPE_API_BASE says
// otherwise.
const DefaultAPIBase = "https://api.stripe.com"

// Paths this package serves.
const (
	PathWebhook     = "/stripe/webhook"
	PathPay         = "/pay/"
	PathBilling     = "/billing/"
	PathDevCheckout = "/dev/checkout/"
	PathConnect     = "/connect/"
	PathPaidJoin    = "/p/"
)

// Webhook limits.
const (
	// Tolerance is how old a signed event's timestamp may be.
	Tolerance = 5 * time.Minute
	// BodyLimit bounds an event body (invoices with many lines are large).
	BodyLimit = "256K"
	// Timeout bounds one Stripe API call.
	Timeout = 20 * time.Second
)

// Config is the Stripe side of the service's configuration (SPEC §2).
type Config struct {
	SecretKey     string // STRIPE_SECRET_KEY; empty: dev checkout
	WebhookSecret string // STRIPE_WEBHOOK_SECRET, whsec_…; required with SecretKey
	// ConnectWebhookSecret is STRIPE_CONNECT_WEBHOOK_SECRET: the signing
	// secret of a Connect endpoint (events from connected accounts) when
	// it is not the platform endpoint; optional.
	ConnectWebhookSecret string
	APIBase              string // STRIPE_API_BASE, default DefaultAPIBase
	PublicURL            string // NUDGES_PUBLIC_URL: base of links and redirect URLs
	// PlatformFee is NUDGES_PLATFORM_FEE: the percent of a paid list's
	// payments the platform keeps (application_fee_percent).
	PlatformFee float64
}

// Dev reports whether Stripe is not configured and the dev checkout serves.
func (c Config) Dev() bool { return c.SecretKey == "" }

// Validate checks the configuration, with errors that say what to fix.
func (c Config) Validate() error {
	if c.SecretKey != "" && c.WebhookSecret == "" {
		return fmt.Errorf("stripe: STRIPE_WEBHOOK_SECRET (whsec_…) is required when STRIPE_SECRET_KEY is set")
	}
	if u, err := url.Parse(c.publicURL()); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("stripe: NUDGES_PUBLIC_URL %q is not an absolute http(s) URL", c.PublicURL)
	}
	if u, err := url.Parse(c.apiBase()); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("stripe: STRIPE_API_BASE %q must be an http(s) URL like %s", c.APIBase, DefaultAPIBase)
	}
	return nil
}

func (c Config) publicURL() string { return strings.TrimRight(c.PublicURL, "/") }

func (c Config) apiBase() string {
	if c.APIBase == "" {
		return DefaultAPIBase
	}
	return strings.TrimRight(c.APIBase, "/")
}
