package e2e

import (
	"net/http"
	"os"
	"strings"
	"testing"

	"nudges/webhooks/stripe"
)

// TestServesWithStripe: with Stripe configured (stripe-mock standing in)
// the binary starts in Stripe mode, and a webhook without Stripe's
// signature is refused.
func TestServesWithStripe(t *testing.T) {
	if testing.Short() {
		t.Skip("starts stripe-mock and the binary")
	}
	s := Start(t, Options{Stripe: StripeMock(t)})
	if logs, _ := os.ReadFile(s.Log); !strings.Contains(string(logs), "payments=stripe") {
		t.Errorf("start-up log does not say payments=stripe:\n%s", logs)
	}
	resp, err := http.Post(s.URL+stripe.PathWebhook, "application/json", strings.NewReader(`{"id":"evt_1","type":"checkout.session.completed"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unsigned Stripe webhook: %d, want 400", resp.StatusCode)
	}
}
