package flows

import (
	"strings"
	"testing"

	"nudges/bot"
)

// WEB (PANEL) texts a client a one-time dashboard link of 10 minutes that
// fits 2 segments; a new link ends the last; a client that has not paid
// hears its payment link; from anyone else WEB is any other word.
func TestWebTextsAOneTimeDashboardLink(t *testing.T) {
	h := newHarness(t)
	for _, args := range []string{"+15550001111 YOGA Sunrise Yoga", "+15550002222 GYM pending Gym", "+15550003333 BAKE canceled Bakery", "+15550006666 WEB Web Shop"} {
		if err := directiveClient(h, args); err != nil {
			t.Fatal(err)
		}
	}
	secrets := []string{"FIRSTSECRET", "SECONDSECRET", "THIRDSECRET"}
	newWebToken = func() (string, error) { s := secrets[0]; secrets = secrets[1:]; return s, nil }
	t.Cleanup(func() { newWebToken = newPayToken })
	got := h.text("+15550001111", "web")
	if !strings.Contains(got, "http://localhost:8080/app/login/") || !strings.Contains(got, ".FIRSTSECRET") || !strings.Contains(got, "10 minutes") {
		t.Fatalf("WEB: %q", got)
	}
	long := strings.Replace(got, "http://localhost:8080", "https://nudges.example.com", 1)
	if n, _ := bot.Segments(long); n > 2 {
		t.Errorf("WEB reply takes %d segments: %q", n, long)
	}
	es := h.text("+15550001111", "PANEL")
	if !strings.Contains(es, "Tu panel") || !strings.Contains(es, ".SECONDSECRET") {
		t.Fatalf("PANEL: %q", es)
	}
	if n, _ := bot.Segments(strings.Replace(es, "http://localhost:8080", "https://nudges.example.com", 1)); n > 2 {
		t.Errorf("PANEL reply takes %d segments: %q", n, es)
	}
	var c *bot.Client
	h.db.View(func(tx bot.Tx) (err error) { c, err = tx.Client("+15550001111"); return err })
	now := h.clock.Now()
	if c.UseWebLink("FIRSTSECRET", now) {
		t.Error("the first link still works after a second WEB")
	}
	if c.UseWebLink("SECONDSECRET", now.Add(bot.WebLinkTTL)) {
		t.Error("the link works past 10 minutes")
	}
	if !c.UseWebLink("SECONDSECRET", now) || c.UseWebLink("SECONDSECRET", now) {
		t.Error("the live link does not open exactly once")
	}
	if got := h.text("+15550002222", "WEB"); strings.Contains(got, "/app/login/") || !strings.Contains(got, "/pay/") {
		t.Errorf("pending client: %q", got)
	}
	if got := h.text("+15550003333", "WEB"); !strings.Contains(got, "/app/login/") {
		t.Errorf("canceled client may sign in: %q", got)
	}
	// A subscriber's WEB joins the list whose keyword it is, as before.
	if got := h.text("+15550004444", "WEB"); !strings.Contains(got, "Web Shop") {
		t.Errorf("WEB from a non-client: %q", got)
	}
	if got := h.text("+15550005555", "PANEL"); strings.Contains(got, "/app/") || got == "" {
		t.Errorf("PANEL from a non-client: %q", got)
	}
}
