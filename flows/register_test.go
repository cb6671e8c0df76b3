package flows

import (
	"strings"
	"testing"
	"time"

	"nudges/bot"
)

func setOwn(t *testing.T, h *harness, phone string, own *bot.OwnNumber) {
	t.Helper()
	err := h.db.Update(func(tx bot.Tx) error {
		c, err := tx.Client(bot.MustPhone(phone))
		if err != nil {
			return err
		}
		c.Own = own
		return tx.PutClient(c)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// REGISTER texts a toll-free number's form link only when there is a
// number to verify; every other case says where things stand.
func TestRegisterTextsTheFormLink(t *testing.T) {
	h := newHarness(t)
	if err := directiveClient(h, "+15550001111 YOGA Sunrise Yoga"); err != nil {
		t.Fatal(err)
	}
	newRegisterToken = func() (string, error) { return "SECRET", nil }
	t.Cleanup(func() { newRegisterToken = newPayToken })
	for _, tc := range []struct {
		own  *bot.OwnNumber
		want string
	}{
		{nil, "nothing to register"},
		{&bot.OwnNumber{Kind: bot.NumberTollFree, State: bot.NumberProvisioning}, "still being set up"},
		{&bot.OwnNumber{Kind: bot.NumberLocal, State: bot.NumberVerifying, Phone: "+13125550152", PhoneSID: "PN1"}, "registered with carriers by our team"},
		{&bot.OwnNumber{Kind: bot.NumberTollFree, State: bot.NumberVerifying, Phone: "+18335550100", PhoneSID: "PN1", VerificationSID: "HH1", Since: Start}, "under review by carriers since Jan 5, 2026"},
		{&bot.OwnNumber{Kind: bot.NumberTollFree, State: bot.NumberReady, Phone: "+18335550100", PhoneSID: "PN1"}, "+1 833 555 0100 is verified"},
	} {
		setOwn(t, h, "+15550001111", tc.own)
		if got := h.text("+15550001111", "REGISTER"); !strings.Contains(got, tc.want) {
			t.Errorf("own %+v: %q, want %q", tc.own, got, tc.want)
		}
	}
	for _, st := range []bot.NumberState{bot.NumberVerifying, bot.NumberRejected} {
		setOwn(t, h, "+15550001111", &bot.OwnNumber{Kind: bot.NumberTollFree, State: st, Phone: "+18335550100", PhoneSID: "PN1"})
		got := h.text("+15550001111", "registrar")
		if !strings.Contains(got, "http://localhost:8080/r/") || !strings.Contains(got, ".SECRET") || !strings.Contains(got, "+1 833 555 0100") {
			t.Fatalf("%s: %q", st, got)
		}
	}
	var c *bot.Client
	h.db.View(func(tx bot.Tx) (err error) { c, err = tx.Client("+15550001111"); return err })
	if !c.RegisterLinkValid("SECRET", h.clock.Now()) || c.RegisterLinkValid("SECRET", h.clock.Now().Add(bot.RegisterLinkTTL)) ||
		c.RegisterLinkValid("OTHER", h.clock.Now()) {
		t.Fatal("link validity")
	}
	asked := 0
	h.brain.NumberAsked = func() { asked++ }
	setOwn(t, h, "+15550001111", &bot.OwnNumber{Kind: bot.NumberTollFree, State: bot.NumberVerifying, Phone: "+18335550100",
		PhoneSID: "PN1", VerificationSID: "HH1", NextTry: h.clock.Now().Add(time.Hour)})
	h.text("+15550001111", "REGISTER")
	h.db.View(func(tx bot.Tx) (err error) { c, err = tx.Client("+15550001111"); return err })
	if asked != 1 || !c.Own.NextTry.IsZero() {
		t.Fatalf("pending: asked %d, next poll %v", asked, c.Own.NextTry)
	}
	if got := h.text("+15550002222", "REGISTER"); !strings.Contains(got, "You have none") {
		t.Fatalf("not a client: %q", got)
	}
}
