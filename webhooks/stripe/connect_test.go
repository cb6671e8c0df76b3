package stripe

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"nudges/bot"
)

// The connected account of a paid list: Stripe collects requirements,
// Express dashboard, the platform pays fees and losses, card payments and
// transfers requested; stripe-mock accepts the shape.
func TestStripeConnectAccountShape(t *testing.T) {
	f, rec := stripeFixture(t)
	id, err := f.srv.API().ConnectAccount(context.Background(), f.client())
	if err != nil || !strings.HasPrefix(id, "acct_") {
		t.Fatalf("account %q: %v", id, err)
	}
	wantForm(t, "account", rec.find(t, http.MethodPost, "/v1/accounts"), map[string]string{
		"controller[requirement_collection]": "stripe", "controller[stripe_dashboard][type]": "express",
		"controller[fees][payer]": "application", "controller[losses][payments]": "application",
		"capabilities[card_payments][requested]": "true", "capabilities[transfers][requested]": "true",
		"metadata[phone]": string(clientPhone), "metadata[keyword]": "COFFEE", "business_profile[name]": "Joe's Coffee",
		"type": "",
	})
	link, err := f.srv.API().OnboardingLink(context.Background(), id, "https://sms.example.com/connect/tok")
	if err != nil || !strings.HasPrefix(link, "http") {
		t.Fatalf("account link %q: %v", link, err)
	}
	wantForm(t, "account link", rec.find(t, http.MethodPost, "/v1/account_links"), map[string]string{
		"account": id, "type": "account_onboarding",
		"refresh_url": "https://sms.example.com/connect/tok", "return_url": "https://sms.example.com/connect/tok",
	})
}

// A paid list's Checkout Session: monthly, paid to the client's account
// less the platform's fee, naming the list and the phone.
func TestStripeListCheckoutShape(t *testing.T) {
	f, rec := stripeFixture(t)
	id, url, err := f.srv.API().ListCheckout(context.Background(), ListJoin{
		Name: "Joe's Coffee", Keyword: "COFFEE", Account: "acct_123", Phone: bot.Phone("+15550009999"),
		PriceMinor: 500, Currency: "usd", FeePercent: 10, Base: "https://sms.example.com/p/tok",
	})
	if err != nil || !strings.HasPrefix(id, "cs_") || url == "" {
		t.Fatalf("session %q %q: %v", id, url, err)
	}
	form := rec.find(t, http.MethodPost, "/v1/checkout/sessions")
	wantForm(t, "list checkout", form, map[string]string{
		"mode": "subscription", "line_items[0][quantity]": "1",
		"line_items[0][price_data][currency]": "usd", "line_items[0][price_data][unit_amount]": "500",
		"line_items[0][price_data][recurring][interval]": "month",
		"line_items[0][price_data][product_data][name]":  "Joe's Coffee (COFFEE)",
		"subscription_data[transfer_data][destination]":  "acct_123",
		"subscription_data[metadata][list]":              "COFFEE", "subscription_data[metadata][phone]": "+15550009999",
		"metadata[list]": "COFFEE", "metadata[phone]": "+15550009999",
		"success_url": "https://sms.example.com/p/tok/done", "cancel_url": "https://sms.example.com/p/tok/canceled",
	})
	if fee, err := strconv.ParseFloat(form.Get("subscription_data[application_fee_percent]"), 64); err != nil || fee != 10 {
		t.Errorf("application_fee_percent %q", form.Get("subscription_data[application_fee_percent]"))
	}
}
