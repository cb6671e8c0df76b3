package stripe

import (
	"context"
	"strings"
	"testing"
	"time"

	"nudges/bot"
)

// With the default API base (real Stripe), a test binary's client fails
// before any connection: no test can reach api.stripe.com.
func TestNoCallToRealStripeInTests(t *testing.T) {
	api := NewAPI(Config{SecretKey: "sk_test_123", WebhookSecret: "whsec_x", PublicURL: "http://localhost:8080"})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := &bot.Client{Phone: "+15550009999", PayToken: "tok", CustomerID: "cus_1"}
	_, err := api.Portal(ctx, c)
	if err == nil || !strings.Contains(err.Error(), "non-loopback") {
		t.Fatalf("Portal against the default base: %v; want a loopback refusal", err)
	}
	_, _, err = api.Checkout(ctx, c, &bot.Plan{ID: 1, StripePriceID: "price_1"}, nil)
	if err == nil || !strings.Contains(err.Error(), "non-loopback") {
		t.Fatalf("Checkout against the default base: %v; want a loopback refusal", err)
	}
}
