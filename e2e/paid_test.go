package e2e

import (
	"net/http"
	"net/url"
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

// feed is what the dev feed shows was texted to phone.
func feed(t *testing.T, base, phone string) string {
	t.Helper()
	code, body := Get(t, base+"/dev/messages?phone="+url.QueryEscape(phone)+"&after=0")
	if code != http.StatusOK {
		t.Fatalf("dev feed %s: %d", phone, code)
	}
	return body
}

// TestPaidListThroughTheBinary: PAYOUTS, the dev onboarding, PRICE 5; a
// phone joining gets the price and a payment link and is not on the list
// until it pays on the dev checkout; then it gets the next announcement,
// and a phone that did not pay (on the list free from before the price)
// does not. LEAVE says until when.
func TestPaidListThroughTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the binary")
	}
	db := filepath.Join(t.TempDir(), "n.db")
	const phone, payer, other = "+15550004444", "+15550001111", "+15550002222"
	Update(t, db, func(tx bot.Tx) error {
		now := time.Now().UTC()
		p := &bot.Plan{Name: "Starter", PriceMinor: 900, Currency: "usd", Interval: bot.Month, Quota: 30, Active: true, CreatedAt: now}
		if err := tx.PutPlan(p); err != nil {
			return err
		}
		return tx.PutClient(&bot.Client{Phone: phone, Name: "Joe's Coffee", Keyword: "COFFEE", Status: bot.ClientActive,
			PlanID: p.ID, PeriodStart: now, PeriodEnd: now.AddDate(0, 1, 0), CreatedAt: now, LiveAt: now})
	})
	s := Start(t, Options{DB: db})
	w := Webhooks{URL: s.URL, Public: s.URL}
	post := func(link string) {
		resp, err := http.Post(link, "application/x-www-form-urlencoded", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK { // the redirect, followed
			t.Fatalf("POST %s: %d", link, resp.StatusCode)
		}
	}
	connect := regexp.MustCompile(`http://\S+/connect/\S+`).FindString(w.SMS(t, phone, "PAYOUTS"))
	Get(t, connect) // the first visit makes the (dev) connected account
	post(connect)
	if r := w.SMS(t, other, "COFFEE"); !strings.Contains(r, "You joined") { // free, before the price
		t.Fatalf("free join: %q", r)
	}
	if r := w.SMS(t, phone, "PRICE 5"); !strings.Contains(r, "$5.00 a month") {
		t.Fatalf("PRICE: %q", r)
	}
	payLink := regexp.MustCompile(`http://\S+/p/\S+`)
	reply := w.SMS(t, payer, "COFFEE")
	link := payLink.FindString(reply)
	if link == "" || !strings.Contains(reply, "$5.00/month, renews monthly until you cancel") || !strings.Contains(reply, "STOP") {
		t.Fatalf("join reply: %q", reply)
	}
	if r := w.SMS(t, other, "JOIN COFFEE"); payLink.FindString(r) == "" {
		t.Fatalf("other's join reply: %q", r)
	}
	if r := w.SMS(t, payer, "LIST"); strings.Contains(r, "COFFEE") {
		t.Fatalf("on the list before paying: %q", r)
	}
	if code, page := Get(t, link); code != http.StatusOK || !strings.Contains(page, "Test checkout") {
		t.Fatalf("dev checkout %d:\n%s", code, page)
	}
	post(link)
	WaitFor(t, 10*time.Second, "the join confirmation", func() bool {
		return strings.Contains(feed(t, s.URL, payer), "You joined Joe")
	})
	if r := w.SMS(t, phone, "Fresh beans today"); !strings.Contains(r, "CONFIRM") {
		t.Fatalf("draft: %q", r)
	}
	w.SMS(t, phone, "CONFIRM")
	WaitFor(t, 20*time.Second, "the announcement to the payer and the report", func() bool {
		return strings.Contains(feed(t, s.URL, payer), "Fresh beans today") &&
			strings.Contains(feed(t, s.URL, phone), "was sent to 1 of 1")
	})
	if f := feed(t, s.URL, other); strings.Contains(f, "Fresh beans") {
		t.Fatalf("a phone that did not pay got the announcement: %s", f)
	}
	if r := w.SMS(t, phone, "STATS"); !strings.Contains(r, "Paid list: 1 paying") || !strings.Contains(r, "$5.00 paid this month") {
		t.Fatalf("STATS: %q", r)
	}
	if r := w.SMS(t, payer, "LEAVE"); !strings.Contains(r, "you'll get its messages until") {
		t.Fatalf("LEAVE: %q", r)
	}
	s.Stop(t, 20*time.Second)
}
