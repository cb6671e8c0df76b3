package admin

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"nudges/bot"
	"nudges/store"
)

// fakeDiscounts records codes synced to "Stripe" and archived there.
type fakeDiscounts struct {
	mu       sync.Mutex
	synced   []bot.Discount
	products [][]string
	archived []string
	fail     error
}

func (f *fakeDiscounts) SyncDiscount(_ context.Context, d *bot.Discount, products []string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	d.StripeCouponID, d.StripePromoID = "co_"+d.Code, "promo_"+d.Code
	f.synced = append(f.synced, *d)
	f.products = append(f.products, products)
	return nil
}

func (f *fakeDiscounts) ArchiveDiscount(_ context.Context, d *bot.Discount) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.archived = append(f.archived, d.Code)
	return f.fail
}

func codeValues(kv ...string) url.Values {
	v := url.Values{"code": {"SPRING20"}, "kind": {"percent"}, "value": {"20"}, "currency": {"usd"},
		"duration": {"repeating"}, "months": {"3"}, "max_uses": {"50"}, "expires": {"2027-03-31"}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

func (h *harness) discount(code string) *bot.Discount {
	var d *bot.Discount
	h.write(func(tx *store.Tx) error { var err error; d, err = tx.Discount(code); return err })
	return d
}

// An admin creates a code with every setting; it is listed and saved as
// typed (lower case made upper, the expiry the end of the day given).
func TestCodesCreateListArchive(t *testing.T) {
	h := newHarness(t)
	h.write(func(tx *store.Tx) error {
		return tx.PutPlan(&bot.Plan{Name: "Starter", PriceMinor: 900, Currency: "usd", Interval: bot.Month, Quota: 30, Active: true})
	})
	h.login()
	if st, _, body := h.get("/admin/codes/new"); st != http.StatusOK || !strings.Contains(body, "Starter") {
		t.Fatalf("new code page: %d", st)
	}
	st, loc, _ := h.post("/admin/codes", codeValues("code", "spring20", "plans", "1"))
	if st != http.StatusSeeOther || loc != "/admin/codes" {
		t.Fatalf("create: %d %s", st, loc)
	}
	d := h.discount("SPRING20")
	want := time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC)
	if d == nil || d.PercentOff != 20 || d.Duration != bot.DurationRepeating || d.Months != 3 || d.MaxUses != 50 ||
		!d.ExpiresAt.Equal(want) || len(d.Plans) != 1 || d.Plans[0] != 1 || d.Archived {
		t.Fatalf("saved: %+v", d)
	}
	_, _, body := h.get("/admin/codes")
	mustContain(t, body, "Code SPRING20 created.", "SPRING20", "20%", "3 months", "Starter", "0 of 50", "live")
	// The same code again is refused.
	h.get("/admin/codes/new")
	st, _, body = h.post("/admin/codes", codeValues())
	if st != http.StatusUnprocessableEntity || !strings.Contains(body, "exists already") {
		t.Fatalf("duplicate: %d", st)
	}
	h.get("/admin/codes")
	if st, loc, _ := h.post("/admin/codes/SPRING20/archive", nil); st != http.StatusSeeOther || loc != "/admin/codes" {
		t.Fatalf("archive: %d %s", st, loc)
	}
	if d := h.discount("SPRING20"); !d.Archived {
		t.Fatal("not archived")
	}
	_, _, body = h.get("/admin/codes")
	mustContain(t, body, "archived")
	if st, _, _ := h.post("/admin/codes/NOPE1/archive", nil); st != http.StatusNotFound {
		t.Fatalf("archive unknown: %d", st)
	}
}

// Every field is checked; a wrong form saves nothing and says what to fix.
func TestCodesBadInput(t *testing.T) {
	h := newHarness(t)
	h.login()
	for _, tc := range []struct {
		form  url.Values
		field string
	}{
		{codeValues("code", "AB"), "3 to 20 letters"},
		{codeValues("code", "SPRING 20"), "3 to 20 letters"},
		{codeValues("code", "SPRÍNG20"), "3 to 20 letters"},
		{codeValues("code", strings.Repeat("A", 21)), "3 to 20 letters"},
		{codeValues("value", "0"), "1 to 100"},
		{codeValues("value", "101"), "1 to 100"},
		{codeValues("value", "2.5"), "1 to 100"},
		{codeValues("kind", "free"), "percent or amount"},
		{codeValues("kind", "amount", "value", "-5"), "amount off like 5.00"},
		{codeValues("kind", "amount", "currency", "xyz"), "3-letter ISO"},
		{codeValues("duration", "sometimes"), "Pick one payment"},
		{codeValues("months", "0"), "1 to 36"},
		{codeValues("months", "x"), "1 to 36"},
		{codeValues("max_uses", "0"), "no limit"},
		{codeValues("max_uses", "1e3"), "no limit"},
		{codeValues("expires", "31/03/2027"), "A date like"},
		{codeValues("expires", "2020-01-01"), "from today"},
		{codeValues("plans", "99"), "Pick plans"},
	} {
		h.get("/admin/codes/new")
		st, _, body := h.post("/admin/codes", tc.form)
		if st != http.StatusUnprocessableEntity || !strings.Contains(body, tc.field) {
			t.Errorf("%v: %d, want 422 with %q", tc.form, st, tc.field)
		}
	}
	var n int
	h.write(func(tx *store.Tx) error { ds, err := tx.Discounts(); n = len(ds); return err })
	if n != 0 {
		t.Fatalf("%d codes saved from bad forms", n)
	}
	// An amount off in a currency.
	h.get("/admin/codes/new")
	if st, _, _ := h.post("/admin/codes", codeValues("code", "FIVE", "kind", "amount", "value", "5", "currency", "EUR", "duration", "once", "max_uses", "", "expires", "")); st != http.StatusSeeOther {
		t.Fatalf("amount code: %d", st)
	}
	if d := h.discount("FIVE"); d.AmountOff != 500 || d.Currency != "eur" || d.MaxUses != 0 || !d.ExpiresAt.IsZero() {
		t.Fatalf("amount code: %+v", d)
	}
}

// The pages need a session, and the forms the CSRF token.
func TestCodesNeedSessionAndCSRF(t *testing.T) {
	h := newHarness(t)
	for _, path := range []string{"/admin/codes", "/admin/codes/new"} {
		if st, loc, _ := h.get(path); st != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/login") {
			t.Errorf("GET %s signed out: %d %s", path, st, loc)
		}
	}
	h.get("/admin/login")
	if st, _, _ := h.post("/admin/codes", codeValues()); st != http.StatusSeeOther && st != http.StatusForbidden {
		t.Errorf("POST signed out: %d", st)
	}
	h.login()
	h.get("/admin/codes/new")
	if st, _, _ := h.post("/admin/codes", codeValues("_csrf", "forged")); st != http.StatusForbidden {
		t.Errorf("forged CSRF: %d", st)
	}
	if st, _, _ := h.post("/admin/codes/SPRING20/archive", url.Values{"_csrf": {""}}); st != http.StatusForbidden {
		t.Errorf("archive without CSRF: %d", st)
	}
	if h.discount("SPRING20") != nil {
		t.Fatal("a code was saved without a valid token")
	}
}

// With Stripe configured, a code becomes a Coupon and Promotion Code
// limited to its plans' products (synced first when missing); if Stripe
// refuses, nothing is saved. Archiving turns the promotion code off.
func TestCodesSyncToStripe(t *testing.T) {
	fd, fp := &fakeDiscounts{}, &fakeSyncer{}
	h := newHarness(t, func(c *Config) { c.Discounts, c.Plans = fd, fp })
	h.write(func(tx *store.Tx) error {
		return tx.PutPlan(&bot.Plan{Name: "Starter", PriceMinor: 900, Currency: "usd", Interval: bot.Month, Quota: 30, Active: true})
	})
	h.login()
	h.get("/admin/codes/new")
	if st, _, _ := h.post("/admin/codes", codeValues("plans", "1")); st != http.StatusSeeOther {
		t.Fatalf("create: %d", st)
	}
	d := h.discount("SPRING20")
	if d.StripePromoID != "promo_SPRING20" || d.StripeCouponID != "co_SPRING20" {
		t.Fatalf("stripe ids not saved: %+v", d)
	}
	if len(fd.products) != 1 || len(fd.products[0]) != 1 || fd.products[0][0] != "prod_1" {
		t.Fatalf("products: %v", fd.products)
	}
	var p *bot.Plan
	h.write(func(tx *store.Tx) error { var err error; p, err = tx.Plan(1); return err })
	if p.StripeProductID != "prod_1" {
		t.Fatalf("plan product not saved: %+v", p)
	}
	fd.fail = errors.New("stripe says no")
	h.get("/admin/codes/new")
	st, _, body := h.post("/admin/codes", codeValues("code", "FALL10"))
	if st != http.StatusBadGateway || !strings.Contains(body, "nothing was saved") || h.discount("FALL10") != nil {
		t.Fatalf("stripe failure: %d, saved %v", st, h.discount("FALL10"))
	}
	h.get("/admin/codes")
	_, _, _ = h.post("/admin/codes/SPRING20/archive", nil)
	_, _, body = h.get("/admin/codes")
	mustContain(t, body, "Stripe refused to turn it off")
	fd.fail = nil
	h.post("/admin/codes/SPRING20/archive", nil)
	if len(fd.archived) != 2 || fd.archived[1] != "SPRING20" {
		t.Fatalf("archived in stripe: %v", fd.archived)
	}
}

// A plan's trial days are set on its form, checked, and shown in the list.
func TestPlanTrialDays(t *testing.T) {
	h := newHarness(t)
	h.login()
	h.get("/admin/plans/new")
	base := url.Values{"name": {"Pro"}, "price": {"29"}, "currency": {"usd"}, "interval": {"month"}, "quota": {"200"}, "active": {"1"}}
	for _, bad := range []string{"-1", "731", "two", "1.5"} {
		v := url.Values{}
		for k, x := range base {
			v[k] = x
		}
		v.Set("trial_days", bad)
		if st, _, body := h.post("/admin/plans", v); st != http.StatusUnprocessableEntity || !strings.Contains(body, "up to 730") {
			t.Errorf("trial %q: %d", bad, st)
		}
	}
	base.Set("trial_days", "14")
	if st, _, _ := h.post("/admin/plans", base); st != http.StatusSeeOther {
		t.Fatalf("save: %d", st)
	}
	var p *bot.Plan
	h.write(func(tx *store.Tx) error { var err error; p, err = tx.Plan(1); return err })
	if p.TrialDays != 14 {
		t.Fatalf("trial days %d", p.TrialDays)
	}
	_, _, body := h.get("/admin/plans")
	mustContain(t, body, "14-day trial")
	_, _, body = h.get("/admin/plans/1")
	mustContain(t, body, `name="trial_days" value="14"`)
}
