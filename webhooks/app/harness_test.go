package app

import (
	"context"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"nudges/admin"
	"nudges/bot"
	"nudges/flows"
	"nudges/locales"
	"nudges/store"
	"nudges/webhooks/webkit"
)

var t0 = time.Date(2026, 3, 30, 15, 0, 0, 0, time.UTC)

// The clients of every test: A and B are active, the others in the other
// states; adminPhone runs the console.
const (
	phoneA     = bot.Phone("+15550001111")
	phoneB     = bot.Phone("+15550002222")
	phoneSusp  = bot.Phone("+15550003333")
	phoneCanc  = bot.Phone("+15550004444")
	phonePend  = bot.Phone("+15550005555")
	phonePast  = bot.Phone("+15550006666")
	subscriber = bot.Phone("+15550007777")
	adminPhone = phoneA // the operator runs a list too: two audiences, one phone
)

// harness is the dashboard and the console on one echo and one store, with
// the SMS engine (flows.Brain) for WEB.
type harness struct {
	t      *testing.T
	db     *store.DB
	clock  *bot.FixedClock
	e      *echo.Echo
	engine *bot.Engine
	dash   *Dashboard
	seq    int
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "nudges.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	h := &harness{t: t, db: db, clock: bot.NewFixedClock(t0), e: echo.New()}
	tr := locales.MustLoad()
	brain := &flows.Brain{ServiceNumber: "+15550000000", PublicURL: "http://localhost:8080", Support: "help@nudges.example"}
	h.engine = &bot.Engine{Store: db, Brain: brain, Clock: h.clock, T: tr, DefaultLocale: "en"}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	web := webkit.Config{PublicURL: "http://localhost:8080", Clock: h.clock, T: tr, Log: quiet,
		Codes: func() (string, error) { return "123456", nil }, LoginRate: 1000, LoginBurst: 1000}
	if h.dash, err = New(Config{Web: web, Number: brain.NumberOf, Service: &flows.Service{Store: db, Clock: h.clock, T: tr, Brain: brain}}, db); err != nil {
		t.Fatal(err)
	}
	con, err := admin.New(admin.Config{AdminPhones: []bot.Phone{adminPhone}, PublicURL: "http://localhost:8080",
		Clock: h.clock, T: tr, Handler: h.engine, Log: quiet, Codes: web.Codes, LoginRate: 1000, LoginBurst: 1000}, db)
	if err != nil {
		t.Fatal(err)
	}
	h.e.IPExtractor = echo.ExtractIPDirect()
	con.Register(h.e)
	h.dash.Register(h.e)
	if err := flows.EnsureDefaultPlan(db, t0); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		p       bot.Phone
		keyword string
		st      bot.ClientStatus
	}{{phoneA, "YOGA", bot.ClientActive}, {phoneB, "GYM", bot.ClientActive}, {phoneSusp, "SUSP", bot.ClientSuspended},
		{phoneCanc, "CANC", bot.ClientCanceled}, {phonePend, "PEND", bot.ClientPending}, {phonePast, "PAST", bot.ClientPastDue}} {
		h.seedClient(c.p, c.keyword, c.st)
	}
	return h
}

// seedClient stores a client with a plan, a period and a pay token.
func (h *harness) seedClient(p bot.Phone, keyword string, st bot.ClientStatus) {
	h.write(func(tx *store.Tx) error {
		plans, err := tx.Plans()
		if err != nil || len(plans) == 0 {
			return fmt.Errorf("plans: %v", err)
		}
		c := &bot.Client{Phone: p, Keyword: keyword, Name: "Client " + keyword, Status: st, PlanID: plans[0].ID,
			PeriodStart: t0, PeriodEnd: t0.AddDate(0, 1, 0), CreatedAt: t0, LiveAt: t0, PayToken: strings.ToLower(keyword) + "paytoken"}
		return tx.PutClient(c)
	})
}

func (h *harness) write(fn func(tx *store.Tx) error) {
	h.t.Helper()
	if err := h.db.Write(fn); err != nil {
		h.t.Fatal(err)
	}
}

// text sends body from phone to the service number and returns the reply.
func (h *harness) text(p bot.Phone, body string) string {
	h.t.Helper()
	h.clock.Advance(time.Second)
	h.seq++
	r, err := h.engine.Handle(context.Background(), bot.Inbound{SID: fmt.Sprintf("SM%04d", h.seq), From: p, To: "+15550000000", Body: body})
	if err != nil {
		h.t.Fatal(err)
	}
	return r.Text
}

// browser is one person's cookies, from one address.
type browser struct {
	h       *harness
	addr    string
	cookies map[string]*http.Cookie
}

func (h *harness) browser(addr string) *browser {
	return &browser{h: h, addr: addr, cookies: map[string]*http.Cookie{}}
}

// resp is what a request answered.
type resp struct {
	Status int
	Loc    string
	Body   string
}

func (b *browser) do(method, path string, form url.Values) resp {
	b.h.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	req.RemoteAddr = b.addr + ":40000"
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, c := range b.cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	b.h.e.ServeHTTP(rec, req)
	for _, c := range rec.Result().Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c
		}
	}
	return resp{rec.Code, rec.Header().Get("Location"), rec.Body.String()}
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// get fetches path; post sends form with the CSRF token of the page at
// from (the form's page).
func (b *browser) get(path string) resp { return b.do(http.MethodGet, path, nil) }

func (b *browser) post(from, path string, form url.Values) resp {
	b.h.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("_csrf", b.token(from))
	return b.do(http.MethodPost, path, form)
}

// token is the CSRF token the page at path carries.
func (b *browser) token(path string) string {
	b.h.t.Helper()
	r := b.get(path)
	m := csrfField.FindStringSubmatch(r.Body)
	if m == nil {
		b.h.t.Fatalf("no CSRF token on %s (%d)", path, r.Status)
	}
	return html.UnescapeString(m[1])
}

// signIn signs p in with a code at base (/app or /admin) and fails the
// test when it does not work.
func (b *browser) signIn(base string, p bot.Phone) {
	b.h.t.Helper()
	if r := b.post(base+"/login", base+"/login", url.Values{"phone": {string(p)}}); r.Status != http.StatusOK {
		b.h.t.Fatalf("code for %s at %s: %d %s", p, base, r.Status, r.Body)
	}
	r := b.post(base+"/login", base+"/verify", url.Values{"phone": {string(p)}, "code": {"123456"}})
	if r.Status != http.StatusSeeOther || r.Loc != base+"/" {
		b.h.t.Fatalf("verify %s at %s: %d %q %s", p, base, r.Status, r.Loc, r.Body)
	}
}

// signedIn is a new browser with p signed in to the dashboard by the
// code login.
func (h *harness) signedIn(p bot.Phone) *browser {
	h.t.Helper()
	b := h.browser("192.0.2.10")
	b.signIn("/app", p)
	return b
}

// session is a new browser holding a fresh dashboard session of p, made
// as a login makes it (for tests that need many).
func (h *harness) session(p bot.Phone) *browser {
	h.t.Helper()
	var token string
	h.write(func(tx *store.Tx) (err error) {
		token, err = h.dash.kit.StartSession(tx, p, h.clock.Now())
		return err
	})
	b := h.browser("192.0.2.11")
	b.cookies["nudges_app_session"] = &http.Cookie{Name: "nudges_app_session", Value: token}
	return b
}

// codeTexts are the login-code SMS queued for p.
func (h *harness) codeTexts(p bot.Phone) []string {
	h.t.Helper()
	var out []string
	h.write(func(tx *store.Tx) error {
		ms, err := tx.RecentOutboxTo(p, 100, 1000)
		for _, m := range ms {
			if m.Kind == bot.KindOTP {
				out = append(out, m.Body)
			}
		}
		return err
	})
	return out
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
