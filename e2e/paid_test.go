package e2e

import (
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"nudges/bot"
	"nudges/store"
)

// TestPayoutsThroughTheBinary: a live client asks PAYOUTS, opens the
// connect link, presses the dev onboarding button, is told payouts are
// ready and can then set a PRICE with the configured platform fee.
func TestPayoutsThroughTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the binary")
	}
	db := filepath.Join(t.TempDir(), "n.db")
	const phone = "+15550004444"
	Update(t, db, func(tx bot.Tx) error {
		now := time.Now().UTC()
		p := &bot.Plan{Name: "Starter", PriceMinor: 900, Currency: "usd", Interval: bot.Month, Quota: 30, Active: true, CreatedAt: now}
		if err := tx.PutPlan(p); err != nil {
			return err
		}
		return tx.PutClient(&bot.Client{Phone: phone, Name: "Joe's Coffee", Keyword: "COFFEE", Status: bot.ClientActive,
			PlanID: p.ID, PeriodStart: now, PeriodEnd: now.AddDate(0, 1, 0), CreatedAt: now, LiveAt: now})
	})
	s := Start(t, Options{DB: db, Env: []string{"NUDGES_PLATFORM_FEE=12.5"}})
	w := Webhooks{URL: s.URL, Public: s.URL}
	if r := w.SMS(t, phone, "PRICE 5"); !strings.Contains(r, "PAYOUTS") {
		t.Fatalf("PRICE before payouts: %q", r)
	}
	reply := w.SMS(t, phone, "PAYOUTS")
	link := regexp.MustCompile(`http://\S+/connect/\S+`).FindString(reply)
	if link == "" {
		t.Fatalf("PAYOUTS: %q", reply)
	}
	if code, page := Get(t, link); code != http.StatusOK || !strings.Contains(page, "Enable payouts (test mode)") {
		t.Fatalf("dev onboarding %d:\n%s", code, page)
	}
	resp, err := http.Post(link, "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK { // the redirect back to the link, followed
		t.Fatalf("dev onboarding button: %d", resp.StatusCode)
	}
	if r := w.SMS(t, phone, "PRICE 5"); !strings.Contains(r, "$5.00 a month (Nudges keeps 12.5%)") {
		t.Fatalf("PRICE after payouts: %q", r)
	}
	s.Stop(t, 20*time.Second)
	Read(t, db, func(tx *store.Tx) error {
		c, err := tx.Client(phone)
		if err != nil || !c.Payouts.ChargesEnabled || c.Payouts.Price != 500 || c.Payouts.Account == "" {
			t.Errorf("client payouts %+v, %v", c.Payouts, err)
		}
		return nil
	})
}
