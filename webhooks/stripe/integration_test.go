package stripe

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"nudges/bot"
)

// stripe-mock (go install github.com/stripe/stripe-mock@v0.203.0, which
// .ci/run does) answers Stripe's API from its OpenAPI fixtures. It is
// stateless, so the tests check the requests it was sent through a
// recording proxy as well as its answers.
const mockAddr = "127.0.0.1:12111"

var mockOnce sync.Once
var mockErr string

func stripeMock(t *testing.T) string {
	t.Helper()
	mockOnce.Do(func() { mockErr = startMock() })
	if mockErr != "" {
		if os.Getenv("NUDGES_INTEGRATION") == "1" {
			t.Fatalf("stripe-mock: %s", mockErr)
		}
		t.Skipf("stripe-mock: %s; .ci/run installs it (or set NUDGES_INTEGRATION=1 to make this a failure)", mockErr)
	}
	return "http://" + mockAddr
}

func startMock() string {
	if listening() {
		return "" // already running (another package's tests, or by hand)
	}
	bin, err := exec.LookPath("stripe-mock")
	if err != nil {
		gopath, _ := exec.Command("go", "env", "GOPATH").Output()
		bin = filepath.Join(strings.TrimSpace(string(gopath)), "bin", "stripe-mock")
		if _, err := os.Stat(bin); err != nil {
			return "not installed (go install github.com/stripe/stripe-mock@v0.203.0)"
		}
	}
	cmd := exec.Command(bin, "-http-addr", mockAddr, "-https-addr", "127.0.0.1:12112")
	if err := cmd.Start(); err != nil {
		return err.Error()
	}
	mockCmd = cmd
	for range 100 {
		if listening() {
			return ""
		}
		time.Sleep(100 * time.Millisecond)
	}
	return "did not start listening on " + mockAddr
}

var mockCmd *exec.Cmd

func TestMain(m *testing.M) {
	code := m.Run()
	if mockCmd != nil {
		mockCmd.Process.Kill()
		mockCmd.Wait()
	}
	os.Exit(code)
}

func listening() bool {
	c, err := net.DialTimeout("tcp", mockAddr, 200*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// recorded is one request that went to Stripe.
type recorded struct {
	Method, Path string
	Form         url.Values
	Header       http.Header
}

// recorder is a loopback proxy to stripe-mock that keeps every request.
type recorder struct {
	mu   sync.Mutex
	reqs []recorded
}

func newRecorder(t *testing.T, target string) (*recorder, string) {
	u, _ := url.Parse(target)
	rp := httputil.NewSingleHostReverseProxy(u)
	r := &recorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		form, _ := url.ParseQuery(string(body))
		r.mu.Lock()
		r.reqs = append(r.reqs, recorded{req.Method, req.URL.Path, form, req.Header.Clone()})
		r.mu.Unlock()
		req.Body = io.NopCloser(bytes.NewReader(body))
		rp.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	return r, srv.URL
}

// header returns the headers of the first recorded request to method path.
func (r *recorder) header(t *testing.T, method, path string) http.Header {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, q := range r.reqs {
		if q.Method == method && q.Path == path {
			return q.Header
		}
	}
	t.Fatalf("no %s %s among %d requests", method, path, len(r.reqs))
	return nil
}

// find returns the first recorded request to method path.
func (r *recorder) find(t *testing.T, method, path string) url.Values {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, q := range r.reqs {
		if q.Method == method && q.Path == path {
			return q.Form
		}
	}
	t.Fatalf("no %s %s among %d requests", method, path, len(r.reqs))
	return nil
}

func wantForm(t *testing.T, what string, form url.Values, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got := form.Get(k); got != v {
			t.Errorf("%s: %s = %q, want %q", what, k, got, v)
		}
	}
}

func stripeFixture(t *testing.T) (*fixture, *recorder) {
	rec, base := newRecorder(t, stripeMock(t))
	return newFixture(t, Config{SecretKey: "sk_test_123", WebhookSecret: testSecret, APIBase: base, PublicURL: "https://sms.example.com"}), rec
}

func TestStripeSyncPlanCreatesProductAndPrice(t *testing.T) {
	f, rec := stripeFixture(t)
	p := &bot.Plan{ID: 1, Name: "Starter", Description: "30 announcements a month", PriceMinor: 900, Currency: "usd", Interval: bot.Month, Quota: 30, Active: true}
	if err := f.srv.API().SyncPlan(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p.StripeProductID, "prod_") || !strings.HasPrefix(p.StripePriceID, "price_") {
		t.Fatalf("ids %q %q", p.StripeProductID, p.StripePriceID)
	}
	wantForm(t, "product", rec.find(t, http.MethodPost, "/v1/products"), map[string]string{
		"name": "Starter", "description": "30 announcements a month", "metadata[plan]": "1", "active": "true",
	})
	wantForm(t, "price", rec.find(t, http.MethodPost, "/v1/prices"), map[string]string{
		"product": p.StripeProductID, "unit_amount": "900", "currency": "usd", "recurring[interval]": "month", "metadata[plan]": "1",
	})
}

func TestStripeCheckoutSessionCarriesMetadata(t *testing.T) {
	f, rec := stripeFixture(t)
	res := f.do(http.MethodGet, "/pay/"+payToken, "", nil)
	if res.Code != http.StatusSeeOther || !strings.HasPrefix(res.Header().Get("Location"), "http") {
		t.Fatalf("GET /pay: %d → %q\n%s", res.Code, res.Header().Get("Location"), res.Body)
	}
	c := f.client()
	if !strings.HasPrefix(c.CheckoutID, "cs_") {
		t.Fatalf("checkout id %q", c.CheckoutID)
	}
	var plan *bot.Plan
	f.db.View(func(tx bot.Tx) error { plan, _ = tx.Plan(1); return nil })
	if plan.StripePriceID == "" || plan.StripeProductID == "" {
		t.Fatalf("the default plan was not synced on first use: %+v", plan)
	}
	wantForm(t, "checkout session", rec.find(t, http.MethodPost, "/v1/checkout/sessions"), map[string]string{
		"mode": "subscription", "client_reference_id": "+15550004444",
		"metadata[phone]": "+15550004444", "metadata[plan]": "1",
		"subscription_data[metadata][phone]": "+15550004444", "subscription_data[metadata][plan]": "1",
		"line_items[0][price]": plan.StripePriceID, "line_items[0][quantity]": "1",
		"success_url": "https://sms.example.com/pay/" + payToken + "/done",
		"cancel_url":  "https://sms.example.com/pay/" + payToken + "/canceled",
	})
}

func TestStripeBillingPortal(t *testing.T) {
	f, rec := stripeFixture(t)
	f.update(func(c *bot.Client) { c.Status, c.CustomerID, c.SubscriptionID = bot.ClientActive, "cus_123", "sub_123" })
	res := f.do(http.MethodGet, f.freshBillLink("portal"), "", nil)
	if res.Code != http.StatusSeeOther || !strings.HasPrefix(res.Header().Get("Location"), "http") {
		t.Fatalf("GET /billing: %d → %q\n%s", res.Code, res.Header().Get("Location"), res.Body)
	}
	wantForm(t, "portal session", rec.find(t, http.MethodPost, "/v1/billing_portal/sessions"), map[string]string{
		"customer": "cus_123", "return_url": "https://sms.example.com/billing/" + payToken + "/done",
	})
}

func TestStripeUnreachableIs502(t *testing.T) {
	f := newFixture(t, Config{SecretKey: "sk_test_123", WebhookSecret: testSecret, APIBase: "http://127.0.0.1:1"})
	f.update(func(c *bot.Client) { c.Status, c.CustomerID = bot.ClientActive, "cus_123" })
	if res := f.do(http.MethodGet, f.freshBillLink("down"), "", nil); res.Code != http.StatusBadGateway {
		t.Fatalf("GET /billing with Stripe down: %d", res.Code)
	}
}

// setPlan changes the default plan as a console edit whose Stripe sync
// failed leaves it: new terms, the old Stripe ids.
func (f *fixture) setPlan(fn func(p *bot.Plan)) {
	f.t.Helper()
	err := f.db.Update(func(tx bot.Tx) error {
		p, err := tx.Plan(1)
		if err != nil {
			return err
		}
		fn(p)
		return tx.PutPlan(p)
	})
	if err != nil {
		f.t.Fatal(err)
	}
}

func (r *recorder) count(method, path string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, q := range r.reqs {
		if q.Method == method && q.Path == path {
			n++
		}
	}
	return n
}

// stripe-mock's price fixture, whatever id is asked for: 20.00 USD a month.
const mockProduct = "prod_QXg1hqf4jFNsqG"

// A plan whose price changed after its Stripe price was made is synced
// again before checkout: the client is charged the new price, and the old
// one is archived.
func TestStripePayResyncsAStalePrice(t *testing.T) {
	f, rec := stripeFixture(t)
	f.setPlan(func(p *bot.Plan) {
		p.PriceMinor, p.StripeProductID, p.StripePriceID = 1500, mockProduct, "price_stale" // Stripe's says 2000
	})
	if res := f.do(http.MethodGet, "/pay/"+payToken, "", nil); res.Code != http.StatusSeeOther {
		t.Fatalf("GET /pay: %d\n%s", res.Code, res.Body)
	}
	var plan *bot.Plan
	f.db.View(func(tx bot.Tx) error { plan, _ = tx.Plan(1); return nil })
	if plan.StripePriceID == "price_stale" || plan.StripePriceID == "" {
		t.Fatalf("stale price kept: %+v", plan)
	}
	wantForm(t, "new price", rec.find(t, http.MethodPost, "/v1/prices"), map[string]string{
		"product": mockProduct, "unit_amount": "1500", "currency": "usd", "recurring[interval]": "month",
	})
	wantForm(t, "old price", rec.find(t, http.MethodPost, "/v1/prices/price_stale"), map[string]string{"active": "false"})
	wantForm(t, "checkout", rec.find(t, http.MethodPost, "/v1/checkout/sessions"), map[string]string{
		"line_items[0][price]": plan.StripePriceID,
	})
	// The new price is known to match: the next payment link makes no sync.
	f.update(func(c *bot.Client) { c.CheckoutID = "" })
	f.do(http.MethodGet, "/pay/"+payToken, "", nil)
	if n := rec.count(http.MethodPost, "/v1/prices"); n != 1 {
		t.Fatalf("%d prices created, want 1", n)
	}
}

// A plan whose Stripe price still says what it says is not synced again;
// the price is read from Stripe once.
func TestStripePayKeepsACurrentPrice(t *testing.T) {
	f, rec := stripeFixture(t)
	f.setPlan(func(p *bot.Plan) {
		p.PriceMinor, p.StripeProductID, p.StripePriceID = 2000, mockProduct, "price_current"
	})
	for range 2 {
		if res := f.do(http.MethodGet, "/pay/"+payToken, "", nil); res.Code != http.StatusSeeOther {
			t.Fatalf("GET /pay: %d\n%s", res.Code, res.Body)
		}
	}
	if n := rec.count(http.MethodPost, "/v1/prices"); n != 0 {
		t.Fatalf("%d prices created for a current plan", n)
	}
	if n := rec.count(http.MethodGet, "/v1/prices/price_current"); n != 1 {
		t.Fatalf("price read %d times, want 1", n)
	}
	wantForm(t, "checkout", rec.find(t, http.MethodPost, "/v1/checkout/sessions"), map[string]string{
		"line_items[0][price]": "price_current",
	})
}

// mockExpiry is when stripe-mock says every Checkout Session expires.
var mockExpiry = time.Unix(1234567890, 0)

// Opening the payment link again (a second tap, a link preview, a payment
// whose webhook is late) returns to the open session rather than making a
// second one to pay; a session about to expire, or one for an old price, or
// one already completed is not reused.
func TestStripePayReopensTheOpenSession(t *testing.T) {
	f, rec := stripeFixture(t)
	f.clock.Set(mockExpiry.Add(-2 * time.Hour))
	var urls []string
	pay := func() string {
		t.Helper()
		res := f.do(http.MethodGet, "/pay/"+payToken, "", nil)
		if res.Code != http.StatusSeeOther {
			t.Fatalf("GET /pay: %d\n%s", res.Code, res.Body)
		}
		urls = append(urls, res.Header().Get("Location"))
		return res.Header().Get("Location")
	}
	first := pay()
	c := f.client()
	if c.Checkout.URL != first || c.Checkout.Expires.Unix() != mockExpiry.Unix() || c.Checkout.Price == "" {
		t.Fatalf("open checkout not kept: %+v (went to %q)", c.Checkout, first)
	}
	if again := pay(); again != first {
		t.Fatalf("second visit went to %q, first to %q", again, first)
	}
	if n := rec.count(http.MethodPost, "/v1/checkout/sessions"); n != 1 {
		t.Fatalf("%d sessions for two visits, want 1", n)
	}
	f.clock.Set(mockExpiry.Add(-10 * time.Minute)) // too little time left to pay
	pay()
	if n := rec.count(http.MethodPost, "/v1/checkout/sessions"); n != 2 {
		t.Fatalf("%d sessions after the first neared expiry, want 2", n)
	}
	f.clock.Set(mockExpiry.Add(-2 * time.Hour))
	f.update(func(c *bot.Client) { c.Checkout.Price = "price_before_the_plan_changed" })
	pay()
	if n := rec.count(http.MethodPost, "/v1/checkout/sessions"); n != 3 {
		t.Fatalf("%d sessions after the price changed, want 3", n)
	}
	f.postOK(event("evt_done", bot.EventCheckoutCompleted, f.clock.Now(), session(f.client().CheckoutID)))
	f.update(func(c *bot.Client) { c.Status = bot.ClientCanceled }) // and later canceled: pays anew
	pay()
	if n := rec.count(http.MethodPost, "/v1/checkout/sessions"); n != 4 {
		t.Fatalf("%d sessions for a canceled client paying again, want 4 (urls %q)", n, urls)
	}
}
