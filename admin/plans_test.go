package admin

import (
	"net/http"
	"net/url"
	"testing"

	"nudges/bot"
	"nudges/store"
)

// Stripe ids saved while the edit form was open (a payment link syncing the
// plan) survive the edit and an archive.
func TestPlanEditKeepsStripeIdsSavedMeanwhile(t *testing.T) {
	h := newHarness(t)
	h.login()
	h.get("/admin/plans/new")
	h.post("/admin/plans", url.Values{"name": {"Pro"}, "price": {"29"}, "currency": {"usd"}, "interval": {"month"}, "quota": {"200"}, "active": {"1"}})
	h.get("/admin/plans/1")
	h.write(func(tx *store.Tx) error {
		p, err := tx.Plan(1)
		if err != nil {
			return err
		}
		p.StripeProductID, p.StripePriceID = "prod_new", "price_new"
		return tx.PutPlan(p)
	})
	st, _, _ := h.post("/admin/plans/1", url.Values{"name": {"Pro plus"}, "price": {"29"}, "currency": {"usd"}, "interval": {"month"}, "quota": {"250"}, "active": {"1"}})
	if st != http.StatusSeeOther {
		t.Fatalf("edit: %d", st)
	}
	h.get("/admin/plans")
	h.post("/admin/plans/1/archive", nil)
	var p *bot.Plan
	h.write(func(tx *store.Tx) error { var err error; p, err = tx.Plan(1); return err })
	if p.Name != "Pro plus" || p.Quota != 250 || p.Active || p.StripeProductID != "prod_new" || p.StripePriceID != "price_new" {
		t.Fatalf("after edit and archive: %+v", p)
	}
}

// Only currencies Stripe charges in, from a known list, are accepted.
func TestPlanCurrencyMustBeKnown(t *testing.T) {
	h := newHarness(t)
	h.login()
	h.get("/admin/plans/new")
	st, _, body := h.post("/admin/plans", url.Values{"name": {"Pro"}, "price": {"29"}, "currency": {"xyz"}, "interval": {"month"}, "quota": {"200"}})
	if st != http.StatusUnprocessableEntity {
		t.Fatalf("unknown currency: %d", st)
	}
	mustContain(t, body, "usd, eur, gbp")
	st, _, _ = h.post("/admin/plans", url.Values{"name": {"Yen"}, "price": {"1500"}, "currency": {"JPY"}, "interval": {"month"}, "quota": {"20"}})
	if st != http.StatusSeeOther {
		t.Fatalf("jpy plan: %d", st)
	}
	var p *bot.Plan
	h.write(func(tx *store.Tx) error { var err error; p, err = tx.Plan(1); return err })
	if p.PriceMinor != 1500 || p.Currency != "jpy" {
		t.Fatalf("jpy plan: %+v", p)
	}
}

// A plan name reaches clients by SMS: control characters are refused with
// the reason, and nothing is saved.
func TestPlanNameRefusesControlCharacters(t *testing.T) {
	h := newHarness(t)
	h.login()
	h.get("/admin/plans/new")
	for _, name := range []string{"Pro\x00", "Pro\u202eorP", "Pro\tplan"} {
		st, _, body := h.post("/admin/plans", url.Values{"name": {name}, "price": {"29"}, "currency": {"usd"}, "interval": {"month"}, "quota": {"200"}})
		if st != http.StatusUnprocessableEntity {
			t.Fatalf("%q: %d, want 422", name, st)
		}
		mustContain(t, body, "Remove the control characters")
	}
	var p *bot.Plan
	h.write(func(tx *store.Tx) error { var err error; p, err = tx.Plan(1); return err })
	if p != nil {
		t.Fatalf("a refused plan was saved: %+v", p)
	}
}
