package admin

import (
	"regexp"
	"testing"

	"nudges/bot"
	"nudges/flows"
	"nudges/store"
)

// TestClientsPageWarnsOfSquattedKeywords: keywords taken before the rule
// that are one typo from an opt-out, opt-in or help word are listed with a
// visible warning on the clients page; fine keywords are not.
func TestClientsPageWarnsOfSquattedKeywords(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.KeywordClash = flows.SquatWord })
	seedYoga(h)
	h.write(func(tx *store.Tx) error {
		if err := tx.PutClient(&bot.Client{Phone: "+15552220002", Name: "Squatter", Keyword: "STPO", Status: bot.ClientActive}); err != nil {
			return err
		}
		return tx.PutClient(&bot.Client{Phone: "+15552220003", Name: "Parra Grill", Keyword: "PARRA", Status: bot.ClientPending})
	})
	h.login()
	_, _, body := h.get("/admin/clients")
	warn := regexp.MustCompile(`(?s)<p class="error" role="alert">[^<]*2 keywords.*?</p>`).FindString(body)
	if warn == "" {
		t.Fatalf("no warning on the clients page:\n%s", body)
	}
	mustContain(t, warn, "STPO", "STOP", "PARRA", "PARAR", "Squatter", "Parra Grill")
	if regexp.MustCompile(`YOGA`).MatchString(warn) {
		t.Errorf("YOGA listed as a squat: %s", warn)
	}
}

// TestClientsPageQuietWithoutSquats: no warning when every keyword is fine.
func TestClientsPageQuietWithoutSquats(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.KeywordClash = flows.SquatWord })
	seedYoga(h)
	h.login()
	_, _, body := h.get("/admin/clients")
	if regexp.MustCompile(`role="alert"`).MatchString(body) {
		t.Fatalf("warning without a squatted keyword:\n%s", body)
	}
}
