package app

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"nudges/bot"
	"nudges/store"
)

func goodRegistration() url.Values {
	return url.Values{"BusinessName": {"Sunrise Yoga LLC"}, "Website": {"https://sunrise.example.com"},
		"Street": {"1 Main St"}, "City": {"Springfield"}, "Region": {"il"}, "PostalCode": {"62701"},
		"ContactFirst": {"Ana"}, "ContactLast": {"Diaz"}, "Email": {"ana@sunrise.example.com"},
		"ContactPhone": {"+1 (555) 000-9999"}, "UseCase": {"MARKETING"}, "Volume": {"1,000"},
		"Sample": {"Class at 6pm tonight!"}, "OptIn": {"Text YOGA to +18335550100"},
		"OptInImage": {"https://nudges.example.com/j/YOGA"}}
}

// setOwn gives p's client own (nil: the service number).
func (h *harness) setOwn(p bot.Phone, own *bot.OwnNumber) {
	h.write(func(tx *store.Tx) error {
		c, err := tx.Client(p)
		if err != nil {
			return err
		}
		c.Own = own
		return tx.PutClient(c)
	})
}

func (h *harness) own(p bot.Phone) *bot.OwnNumber {
	var c *bot.Client
	h.write(func(tx *store.Tx) (err error) { c, err = tx.Client(p); return err })
	return c.Own
}

func tollFree() *bot.OwnNumber {
	return &bot.OwnNumber{Kind: bot.NumberTollFree, State: bot.NumberVerifying, Phone: "+18335550100", PhoneSID: "PN1", Since: t0}
}

func TestNumberPageRegistersATollFreeNumber(t *testing.T) {
	h := newHarness(t)
	h.setOwn(phoneA, tollFree())
	b := h.session(phoneA)
	r := b.get("/app/number")
	mustContain(t, r.Body, "1 833 555 0100", "waiting for your registration", "Register your number",
		`value="Client YOGA"`, "Subscribers text YOGA to &#43;18335550100", `value="http://localhost:8080/j/YOGA"`)
	// Bad fields come back with what to fix, and nothing goes out.
	bad := goodRegistration()
	bad.Set("Email", "not-an-email")
	bad.Set("Region", "Illinois")
	bad.Set("ContactPhone", "call me")
	if r := b.post("/app/number", "/app/number", bad); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "field-error") {
		t.Fatalf("bad form: %d", r.Status)
	} else if strings.Count(r.Body, `class="field-error"`) < 3 || !strings.Contains(r.Body, `value="call me"`) {
		t.Errorf("bad fields not all shown:\n%s", r.Body)
	}
	if len(h.reg.got) != 0 {
		t.Fatal("a bad form was submitted")
	}
	h.reg.fail = errors.New("twilio down")
	if r := b.post("/app/number", "/app/number", goodRegistration()); r.Status != http.StatusServiceUnavailable || !strings.Contains(r.Body, "did not take the form") {
		t.Fatalf("carriers down: %d", r.Status)
	}
	h.reg.fail = nil
	if r := b.post("/app/number", "/app/number", goodRegistration()); r.Status != http.StatusSeeOther || r.Loc != "/app/number" {
		t.Fatalf("submit: %d %q", r.Status, r.Loc)
	}
	if len(h.reg.got) != 1 || h.reg.got[0].Region != "IL" || h.reg.got[0].ContactPhone != "+15550009999" {
		t.Fatalf("submitted: %+v", h.reg.got)
	}
	if own := h.own(phoneA); own.VerificationSID != "HH0001" || own.State != bot.NumberVerifying {
		t.Errorf("number after submit: %+v", own)
	}
	r = b.get("/app/number")
	mustContain(t, r.Body, "went to the carriers", "waiting for verification since")
	if strings.Contains(r.Body, "Register your number") {
		t.Error("the form is offered again after submission")
	}
	if r := b.post("/app/number", "/app/number", goodRegistration()); r.Status != http.StatusSeeOther || len(h.reg.got) != 1 {
		t.Errorf("second post: %d, %d submissions", r.Status, len(h.reg.got))
	}
	mustContain(t, b.get("/app/number").Body, "nothing to register")
}

// The form's logic is the REGISTER link's: a submission from the dashboard
// ends the link, and a rejected number shows the reason and the form again.
func TestNumberPageSharesTheRegisterLinkForm(t *testing.T) {
	h := newHarness(t)
	n := tollFree()
	n.State, n.Reason, n.VerificationSID = bot.NumberRejected, "website unreachable", "HH0000"
	h.setOwn(phoneA, n)
	reply := h.text(phoneA, "REGISTER")
	link := reply[strings.Index(reply, "/r/"):]
	link = strings.Fields(link)[0]
	b := h.session(phoneA)
	mustContain(t, b.get("/app/number").Body, "rejected by carriers: website unreachable", "refused the last registration")
	if r := b.post("/app/number", "/app/number", goodRegistration()); r.Status != http.StatusSeeOther {
		t.Fatalf("submit: %d", r.Status)
	}
	if r := h.browser("192.0.2.90").get(link); r.Status != http.StatusNotFound {
		t.Errorf("REGISTER link after the dashboard's submission: %d", r.Status)
	}
}

// Shared, ready and local numbers have nothing to register.
func TestNumberPageWithNothingToRegister(t *testing.T) {
	h := newHarness(t)
	for _, own := range []*bot.OwnNumber{nil,
		{Kind: bot.NumberTollFree, State: bot.NumberReady, Phone: "+18335550100", PhoneSID: "PN1"},
		{Kind: bot.NumberLocal, State: bot.NumberVerifying, Phone: "+13125550152", PhoneSID: "PN2"},
		{Kind: bot.NumberTollFree, State: bot.NumberProvisioning}} {
		h.setOwn(phoneA, own)
		b := h.session(phoneA)
		if r := b.get("/app/number"); r.Status != http.StatusOK || strings.Contains(r.Body, "Register your number") {
			t.Errorf("%+v: %d, form shown", own, r.Status)
		}
		if r := b.post("/app/number", "/app/number", goodRegistration()); r.Status != http.StatusSeeOther {
			t.Errorf("%+v: post %d", own, r.Status)
		}
	}
	if len(h.reg.got) != 0 {
		t.Errorf("%d submissions", len(h.reg.got))
	}
}
