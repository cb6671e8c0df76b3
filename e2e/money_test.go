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

// TestDiscountCodeThroughTheBinary: a code made before start is given with
// the plan at signup; the dev checkout shows the discounted price and the
// trial, and paying counts one use and makes the client live.
func TestDiscountCodeThroughTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the binary")
	}
	db := filepath.Join(t.TempDir(), "n.db")
	Update(t, db, func(tx bot.Tx) error {
		now := time.Now().UTC()
		p := &bot.Plan{Name: "Starter", PriceMinor: 900, Currency: "usd", Interval: bot.Month, Quota: 30, Active: true, TrialDays: 7, CreatedAt: now}
		if err := tx.PutPlan(p); err != nil {
			return err
		}
		return tx.PutDiscount(&bot.Discount{Code: "SPRING20", PercentOff: 20, Duration: bot.DurationRepeating, Months: 3, MaxUses: 5, CreatedAt: now})
	})
	s := Start(t, Options{DB: db})
	w := Webhooks{URL: s.URL, Public: s.URL}
	const phone = "+15550004444"
	w.SMS(t, phone, "SIGNUP")
	w.SMS(t, phone, "Joe's Coffee")
	w.SMS(t, phone, "COFFEE")
	reply := w.SMS(t, phone, "1 spring20")
	link := regexp.MustCompile(`http://\S+/pay/\S+`).FindString(reply)
	if !strings.Contains(reply, "$7.20 instead of $9.00") || link == "" {
		t.Fatalf("signup with a code: %q", reply)
	}
	token := link[strings.LastIndex(link, "/")+1:]
	code, page := Get(t, s.URL+"/dev/checkout/"+token)
	if code != http.StatusOK || !strings.Contains(page, "7.20 USD instead of 9.00 USD") || !strings.Contains(page, "Free trial: 7 days") {
		t.Fatalf("dev checkout %d:\n%s", code, page)
	}
	resp, err := http.Post(s.URL+"/dev/checkout/"+token, "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK { // the redirect to the done page, followed
		t.Fatalf("dev pay: %d", resp.StatusCode)
	}
	if r := w.SMS(t, phone, "PLAN"); !strings.Contains(r, "Discount: code SPRING20, 20% off for 3 months") {
		t.Fatalf("PLAN after paying: %q", r)
	}
	s.Stop(t, 20*time.Second)
	Read(t, db, func(tx *store.Tx) error {
		d, err := tx.Discount("SPRING20")
		if err != nil || d.Uses != 1 {
			t.Errorf("uses %+v, %v", d, err)
		}
		c, err := tx.Client(phone)
		if err != nil || c.Status != bot.ClientActive || c.TrialEnd.IsZero() {
			t.Errorf("client %+v, %v", c, err)
		}
		return nil
	})
}
