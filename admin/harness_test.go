package admin

import (
	"context"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"nudges/bot"
	"nudges/locales"
	"nudges/store"
	"nudges/webhooks/web"
)

// loopbackNets are 127.0.0.0/8 and ::1, as NUDGES_TRUSTED_PROXIES would
// list a proxy on this machine.
var loopbackNets = func() []*net.IPNet {
	_, v4, _ := net.ParseCIDR("127.0.0.0/8")
	_, v6, _ := net.ParseCIDR("::1/128")
	return []*net.IPNet{v4, v6}
}()

const (
	adminPhone = bot.Phone("+15550000001")
	otherPhone = bot.Phone("+15550009999")
)

var t0 = time.Date(2026, 3, 30, 15, 0, 0, 0, time.UTC)

// testBrain is a tiny conversation: a client's keyword joins its list, PING
// queues a message to the sender, anything else gets "?".
type testBrain struct{}

func (testBrain) Turn(t *bot.Turn) error {
	body := bot.Normalize(t.In.Body)
	body = strings.TrimPrefix(body, "JOIN ")
	if body == "PING" {
		t.Replies = append(t.Replies, "pong follows")
		t.Wake()
		_, err := bot.Text(t.Tx, t.Now, bot.Note{To: t.In.From, Kind: bot.KindReply, Priority: bot.PriorityHigh,
			Simulated: t.Conv.Simulated, Body: func(string) string { return "pong" }})
		return err
	}
	c, err := t.Tx.ClientByKeyword(body)
	if err != nil {
		return err
	}
	if c == nil {
		t.Replies = append(t.Replies, "?")
		return nil
	}
	if _, err := t.Tx.Subscribe(c.Keyword, t.In.From, t.Now); err != nil {
		return err
	}
	t.Replies = append(t.Replies, "You joined "+c.Name+".")
	return nil
}

// fakeSyncer records plans synced and hands out Stripe-like ids.
type fakeSyncer struct {
	mu    sync.Mutex
	calls []bot.Plan
	fail  error
}

func (f *fakeSyncer) SyncPlan(_ context.Context, p *bot.Plan) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	f.calls = append(f.calls, *p)
	p.StripeProductID = fmt.Sprintf("prod_%d", p.ID)
	p.StripePriceID = fmt.Sprintf("price_%d_%d", p.ID, len(f.calls))
	return nil
}

// harness is a console on a real database behind an httptest server.
type harness struct {
	t      *testing.T
	db     *store.DB
	engine *bot.Engine
	clock  *bot.FixedClock
	srv    *httptest.Server
	client *http.Client
	kicks  atomic.Int32
	codeN  atomic.Int32
	csrf   string
	logs   *strings.Builder
	xff    string // X-Forwarded-For on every request, as a local proxy adds it
	con    *Console
}

type harnessOpt func(*Config)

func newHarness(t *testing.T, opts ...harnessOpt) *harness {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "nudges.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	h := &harness{t: t, db: db, clock: bot.NewFixedClock(t0), logs: &strings.Builder{}}
	tr := locales.MustLoad()
	engine := &bot.Engine{Store: db, Brain: testBrain{}, Clock: h.clock, T: tr, DefaultLocale: "en"}
	h.engine = engine
	cfg := Config{
		AdminPhones: []bot.Phone{adminPhone}, PublicURL: "http://localhost:8080", DevMode: true,
		Clock: h.clock, T: tr, Handler: engine, Kick: func() { h.kicks.Add(1) },
		Codes:      func() (string, error) { return fmt.Sprintf("%06d", 100001+h.codeN.Add(1)-1), nil },
		Log:        slog.New(slog.NewTextHandler(syncWriter{h}, nil)),
		LoginBurst: 1000, LoginRate: 1000,
	}
	for _, o := range opts {
		o(&cfg)
	}
	con, err := New(cfg, db)
	if err != nil {
		t.Fatal(err)
	}
	h.con = con
	e := echo.New()
	// The harness's requests come from loopback, as from a reverse proxy on
	// this machine that the operator listed in NUDGES_TRUSTED_PROXIES.
	e.IPExtractor = web.ClientIP(loopbackNets)
	con.Register(e)
	h.srv = httptest.NewServer(e)
	t.Cleanup(h.srv.Close)
	h.client = newClient()
	return h
}

type syncWriter struct{ h *harness }

var logMu sync.Mutex

func (w syncWriter) Write(p []byte) (int, error) {
	logMu.Lock()
	defer logMu.Unlock()
	return w.h.logs.Write(p)
}

func (h *harness) logText() string {
	logMu.Lock()
	defer logMu.Unlock()
	return h.logs.String()
}

func newClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

var csrfRE = regexp.MustCompile(`name="_csrf" value="([^"]*)"`)

// do sends a request and returns status, location and body; it remembers
// the page's CSRF token for the next post.
func (h *harness) do(req *http.Request) (int, string, string) {
	h.t.Helper()
	if h.xff != "" {
		req.Header.Set("X-Forwarded-For", h.xff)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if m := csrfRE.FindSubmatch(body); m != nil {
		h.csrf = string(m[1])
	}
	return resp.StatusCode, resp.Header.Get("Location"), html.UnescapeString(string(body))
}

func (h *harness) get(path string) (int, string, string) {
	req, _ := http.NewRequest(http.MethodGet, h.srv.URL+path, nil)
	return h.do(req)
}

// post sends form with the remembered CSRF token unless form sets _csrf.
func (h *harness) post(path string, form url.Values) (int, string, string) {
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["_csrf"]; !ok {
		form.Set("_csrf", h.csrf)
	}
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return h.do(req)
}

// requestCode asks for a code for p from the login page.
func (h *harness) requestCode(p bot.Phone) (int, string) {
	h.t.Helper()
	if st, _, _ := h.get("/admin/login"); st != http.StatusOK {
		h.t.Fatalf("login page: %d", st)
	}
	st, _, body := h.post("/admin/login", url.Values{"phone": {string(p)}})
	return st, body
}

// lastCode is the code in the newest OTP SMS queued for p, "" if none.
func (h *harness) lastCode(p bot.Phone) string {
	ms := h.otpMessages(p)
	if len(ms) == 0 {
		return ""
	}
	return regexp.MustCompile(`\d{6}`).FindString(ms[0].Body)
}

// otpMessages are the OTP SMS queued for p, newest first.
func (h *harness) otpMessages(p bot.Phone) []bot.OutMessage {
	var out []bot.OutMessage
	err := h.db.Read(func(tx *store.Tx) error {
		ms, err := tx.RecentOutboxTo(p, 100, 1000)
		for _, m := range ms {
			if m.Kind == bot.KindOTP {
				out = append(out, m)
			}
		}
		return err
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return out
}

// login signs the admin in and fails the test if it does not work.
func (h *harness) login() {
	h.t.Helper()
	if st, _ := h.requestCode(adminPhone); st != http.StatusOK {
		h.t.Fatalf("request code: %d", st)
	}
	st, loc, body := h.post("/admin/verify", url.Values{"phone": {string(adminPhone)}, "code": {h.lastCode(adminPhone)}})
	if st != http.StatusSeeOther || loc != "/admin/" {
		h.t.Fatalf("verify: %d %q %s", st, loc, body)
	}
	if st, _, _ := h.get("/admin/"); st != http.StatusOK {
		h.t.Fatalf("dashboard after login: %d", st)
	}
}

// write runs fn in a write transaction and fails the test on error.
func (h *harness) write(fn func(tx *store.Tx) error) {
	h.t.Helper()
	if err := h.db.Write(fn); err != nil {
		h.t.Fatal(err)
	}
}

func mustContain(t *testing.T, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("page lacks %q", w)
		}
	}
	if t.Failed() {
		t.Logf("page:\n%s", body)
	}
}
