package app

import (
	"net/http"
	"strings"
	"testing"

	"nudges/bot"
	"nudges/store"
)

// A paying client opens the Billing Portal through the link PLAN texts (a
// fresh one that ends the last); one that does not pay goes to payment.
func TestBillingPageOpensThePortalOrPayment(t *testing.T) {
	h := newHarness(t)
	h.write(func(tx *store.Tx) error {
		if err := tx.PutDiscount(&bot.Discount{Code: "SPRING20", PercentOff: 20, Duration: bot.DurationForever, CreatedAt: t0}); err != nil {
			return err
		}
		c, err := tx.Client(phoneA)
		if err != nil {
			return err
		}
		c.CustomerID, c.Discount, c.DiscountFrom = "cus_1", "SPRING20", t0
		return tx.PutClient(c)
	})
	plan := h.text(phoneA, "PLAN")
	b := h.session(phoneA)
	r := b.get("/app/billing")
	mustContain(t, r.Body, "Starter", "9.00 USD a month", "30 a period", "Discount: code SPRING20, 20% off", "Open the billing portal")
	r = b.post("/app/billing", "/app/billing/link", nil)
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Loc, "http://localhost:8080/billing/yogapaytoken.") {
		t.Fatalf("portal: %d %q", r.Status, r.Loc)
	}
	if strings.Contains(plan, r.Loc) {
		t.Error("the page's link is the one PLAN texted (it should be fresh)")
	}
	var c *bot.Client
	h.write(func(tx *store.Tx) (err error) { c, err = tx.Client(phoneA); return err })
	_, secret := bot.SplitBillToken(strings.TrimPrefix(r.Loc, "http://localhost:8080/billing/"))
	if !c.BillLinkValid(secret, h.clock.Now()) {
		t.Error("the portal link is not the client's live billing link")
	}
	for _, p := range []bot.Phone{phoneCanc, phoneB} { // canceled; active with no customer yet
		b := h.session(p)
		mustContain(t, b.get("/app/billing").Body, "Go to payment", "Discount</dt><dd>none")
		if r := b.post("/app/billing", "/app/billing/link", nil); r.Status != http.StatusSeeOther || !strings.Contains(r.Loc, "/pay/") {
			t.Errorf("%s payment: %d %q", p, r.Status, r.Loc)
		}
	}
}
