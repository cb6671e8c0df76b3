package admin

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"nudges/bot"
	"nudges/store"
)

func TestLoginWithTextedCode(t *testing.T) {
	h := newHarness(t)
	st, body := h.requestCode(adminPhone)
	if st != http.StatusOK {
		t.Fatalf("request code: %d", st)
	}
	mustContain(t, body, "your 6-digit code is printed in the server log", `name="code"`, string(adminPhone))
	ms := h.otpMessages(adminPhone)
	if len(ms) != 1 || ms[0].Priority != bot.PriorityHigh || ms[0].Status != bot.StatusQueued {
		t.Fatalf("otp outbox: %+v", ms)
	}
	code := h.lastCode(adminPhone)
	if code != "100001" || !strings.Contains(ms[0].Body, "Nudges console code is 100001") {
		t.Fatalf("code SMS %q", ms[0].Body)
	}
	if h.kicks.Load() != 1 {
		t.Errorf("dispatcher kicked %d times", h.kicks.Load())
	}
	if !strings.Contains(h.logText(), "code=100001") {
		t.Errorf("dev mode did not log the code: %s", h.logText())
	}
	assertCodeNotStored(t, h, code)
	resp := h.postRaw("/admin/verify", url.Values{"phone": {string(adminPhone)}, "code": {code}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/" {
		t.Fatalf("verify: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	ck := findCookie(resp, sessionCookie)
	if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Secure || ck.Path != "/admin" || ck.MaxAge != 12*3600 {
		t.Fatalf("session cookie %+v", ck)
	}
	if st, _, body := h.get("/admin/"); st != http.StatusOK || !strings.Contains(body, "Subscriber growth") {
		t.Fatalf("dashboard: %d", st)
	}
	h2 := &harness{t: t, srv: h.srv, client: newClient()}
	h2.get("/admin/login")
	if st, _, body := h2.post("/admin/verify", url.Values{"phone": {string(adminPhone)}, "code": {code}}); st != http.StatusUnauthorized {
		t.Fatalf("second use of a code: %d %s", st, body)
	}
}

// assertCodeNotStored checks no value in the auth bucket holds the code.
func assertCodeNotStored(t *testing.T, h *harness, code string) {
	t.Helper()
	var rec struct{ Hash string }
	err := h.db.Read(func(tx *store.Tx) error { _, err := tx.OTPRecord(adminPhone, "127.0.0.1", &rec); return err })
	if err != nil || len(rec.Hash) != 64 || strings.Contains(rec.Hash, code) {
		t.Fatalf("stored hash %q (%v)", rec.Hash, err)
	}
}

// postRaw posts with the current CSRF token and returns the response.
func (h *harness) postRaw(path string, form url.Values) *http.Response {
	h.t.Helper()
	form.Set("_csrf", h.csrf)
	resp, err := h.client.PostForm(h.srv.URL+path, form)
	if err != nil {
		h.t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func findCookie(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func TestSecureCookiesWhenPublicURLIsHTTPS(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.PublicURL = "https://nudges.example" })
	req := httptest.NewRequest(http.MethodGet, "/admin/login", nil)
	rec := httptest.NewRecorder()
	e := echo.New()
	con, err := New(Config{AdminPhones: []bot.Phone{adminPhone}, PublicURL: "https://nudges.example", T: noT{}, Handler: noHandler{}}, h.db)
	if err != nil {
		t.Fatal(err)
	}
	con.Register(e)
	e.ServeHTTP(rec, req)
	ck := findCookie(&http.Response{Header: rec.Header()}, "nudges_csrf")
	if ck == nil || !ck.Secure || !ck.HttpOnly {
		t.Fatalf("csrf cookie on https: %+v", ck)
	}
	con.setSessionCookie(e.NewContext(req, rec), "tok", t0)
	ck = findCookie(&http.Response{Header: rec.Header()}, sessionCookie)
	if ck == nil || !ck.Secure {
		t.Fatalf("session cookie on https: %+v", ck)
	}
}

func TestUnknownPhoneGetsTheSameAnswerAndNoSMS(t *testing.T) {
	// With Twilio (not dev mode); dev mode tells a developer which phone
	// to set (TestDevLoginSaysWhereTheCodeIs).
	h := newHarness(t, func(c *Config) { c.DevMode = false })
	_, adminBody := h.requestCode(adminPhone)
	_, otherBody := h.requestCode(otherPhone)
	norm := func(s string) string {
		s = strings.ReplaceAll(s, string(adminPhone), "PHONE")
		s = strings.ReplaceAll(s, string(otherPhone), "PHONE")
		return csrfRE.ReplaceAllString(s, "CSRF")
	}
	if norm(adminBody) != norm(otherBody) {
		t.Fatalf("answers differ:\n%s\n----\n%s", adminBody, otherBody)
	}
	if ms := h.otpMessages(otherPhone); len(ms) != 0 {
		t.Fatalf("SMS queued to a non-admin: %+v", ms)
	}
	if h.kicks.Load() != 1 {
		t.Errorf("kicks = %d, want 1 (the admin's code only)", h.kicks.Load())
	}
	st1, _, wrongAdmin := h.post("/admin/verify", url.Values{"phone": {string(adminPhone)}, "code": {"000000"}})
	st2, _, wrongOther := h.post("/admin/verify", url.Values{"phone": {string(otherPhone)}, "code": {"100001"}})
	if st1 != st2 || norm(wrongAdmin) != norm(wrongOther) {
		t.Fatalf("wrong-code answers differ: %d vs %d", st1, st2)
	}
	mustContain(t, wrongOther, "That code is not right. 4 tries left.")
}

func TestSixthCheckIsLocked(t *testing.T) {
	h := newHarness(t)
	h.requestCode(adminPhone)
	code := h.lastCode(adminPhone)
	for i := 1; i <= 5; i++ {
		st, _, body := h.post("/admin/verify", url.Values{"phone": {string(adminPhone)}, "code": {"999999"}})
		if st != http.StatusUnauthorized {
			t.Fatalf("wrong check %d: %d", i, st)
		}
		if i == 4 {
			mustContain(t, body, "1 try left.")
		}
	}
	st, loc, body := h.post("/admin/verify", url.Values{"phone": {string(adminPhone)}, "code": {code}})
	if st != http.StatusTooManyRequests || loc != "" {
		t.Fatalf("sixth check with the right code: %d %q", st, loc)
	}
	mustContain(t, body, "Too many wrong tries for this code")
	if st, _, _ := h.get("/admin/"); st != http.StatusSeeOther {
		t.Fatalf("locked login reached the dashboard: %d", st)
	}
}

func TestSixthCodeRequestInAnHourIsRefused(t *testing.T) {
	h := newHarness(t)
	for i := 1; i <= 5; i++ {
		if st, _ := h.requestCode(adminPhone); st != http.StatusOK {
			t.Fatalf("code %d: %d", i, st)
		}
		h.clock.Advance(31 * time.Second)
	}
	st, body := h.requestCode(adminPhone)
	if st != http.StatusTooManyRequests {
		t.Fatalf("sixth code: %d", st)
	}
	mustContain(t, body, "Too many codes were asked for this phone")
	if n := len(h.otpMessages(adminPhone)); n != 5 {
		t.Fatalf("%d codes texted, want 5", n)
	}
	h.clock.Advance(time.Hour)
	if st, _ := h.requestCode(adminPhone); st != http.StatusOK || len(h.otpMessages(adminPhone)) != 6 {
		t.Fatalf("an hour later: %d", st)
	}
}

func TestResendWithin30SecondsKeepsTheFirstCode(t *testing.T) {
	h := newHarness(t)
	h.requestCode(adminPhone)
	first := h.lastCode(adminPhone)
	h.clock.Advance(10 * time.Second)
	st, body := h.requestCode(adminPhone)
	if st != http.StatusOK {
		t.Fatalf("resend: %d", st)
	}
	mustContain(t, body, "less than 30 seconds ago")
	if n := len(h.otpMessages(adminPhone)); n != 1 {
		t.Fatalf("%d codes texted, want 1", n)
	}
	if st, _, _ := h.post("/admin/verify", url.Values{"phone": {string(adminPhone)}, "code": {first}}); st != http.StatusSeeOther {
		t.Fatalf("first code after refused resend: %d", st)
	}
}

func TestExpiredCode(t *testing.T) {
	h := newHarness(t)
	h.requestCode(adminPhone)
	h.clock.Advance(10 * time.Minute)
	st, _, body := h.post("/admin/verify", url.Values{"phone": {string(adminPhone)}, "code": {h.lastCode(adminPhone)}})
	if st != http.StatusUnauthorized {
		t.Fatalf("expired code: %d", st)
	}
	mustContain(t, body, "That code has expired")
}

func TestInvalidPhoneIsRefusedClearly(t *testing.T) {
	h := newHarness(t)
	h.get("/admin/login")
	st, _, body := h.post("/admin/login", url.Values{"phone": {"call me"}})
	if st != http.StatusOK {
		t.Fatalf("status %d", st)
	}
	mustContain(t, body, "is not a phone number", `name="phone"`)
}

func TestPerIPLimits(t *testing.T) {
	h := newHarness(t)
	for i := 0; i < ipCodesPerHour; i++ {
		p := bot.Phone(fmt.Sprintf("+1555100%04d", i))
		if st, _ := h.requestCode(p); st != http.StatusOK {
			t.Fatalf("request %d: %d", i, st)
		}
	}
	st, body := h.requestCode(adminPhone)
	if st != http.StatusTooManyRequests {
		t.Fatalf("request over the IP limit: %d", st)
	}
	mustContain(t, body, "from your network")
	if len(h.otpMessages(adminPhone)) != 0 {
		t.Fatal("code texted over the IP limit")
	}
}

// Behind a reverse proxy on the same machine (the harness's loopback
// server), the per-IP limits count each visitor's forwarded address, so one
// visitor cannot lock every admin out.
func TestPerIPLimitsCountVisitorsBehindALocalProxy(t *testing.T) {
	h := newHarness(t)
	h.xff = "203.0.113.9"
	for i := 0; i < ipCodesPerHour; i++ {
		if st, _ := h.requestCode(bot.Phone(fmt.Sprintf("+1555100%04d", i))); st != http.StatusOK {
			t.Fatalf("request %d: %d", i, st)
		}
	}
	if st, _ := h.requestCode(adminPhone); st != http.StatusTooManyRequests {
		t.Fatalf("the same visitor over the limit: %d", st)
	}
	h.xff = "198.51.100.20, 203.0.113.10" // another visitor, through two proxies
	if st, _ := h.requestCode(adminPhone); st != http.StatusOK {
		t.Fatalf("another visitor was locked out: %d", st)
	}
	if len(h.otpMessages(adminPhone)) != 1 {
		t.Fatal("no code texted to the admin")
	}
}

// A code checked for something that is not a phone number is refused
// clearly on the sign-in page, never a 500.
func TestVerifyWithABadPhoneIsRefusedClearly(t *testing.T) {
	h := newHarness(t)
	h.get("/admin/login")
	for _, p := range []string{"abc", "", "+1"} {
		st, _, body := h.post("/admin/verify", url.Values{"phone": {p}, "code": {"123456"}})
		if st != http.StatusOK {
			t.Fatalf("phone %q: status %d\n%s", p, st, body)
		}
		mustContain(t, body, "phone number", `name="phone"`)
	}
}

func TestLoginBurstLimiter(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.LoginBurst, c.LoginRate = 2, 0.0001 })
	h.requestCode(adminPhone)
	h.requestCode(adminPhone)
	if st, _ := h.requestCode(adminPhone); st != http.StatusTooManyRequests {
		t.Fatalf("third quick request: %d", st)
	}
}

func TestCSRFMissingOrWrongIs403(t *testing.T) {
	h := newHarness(t)
	h.get("/admin/login")
	for name, form := range map[string]url.Values{
		"empty": {"phone": {string(adminPhone)}, "_csrf": {""}},
		"wrong": {"phone": {string(adminPhone)}, "_csrf": {"forged"}},
	} {
		if st, _, _ := h.post("/admin/login", form); st != http.StatusForbidden {
			t.Errorf("login with %s token: %d", name, st)
		}
	}
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/admin/login", strings.NewReader("phone=%2B15550000001"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if st, _, _ := h.do(req); st != http.StatusForbidden {
		t.Errorf("login with no token: %d", st)
	}
	h.get("/admin/login")
	if len(h.otpMessages(adminPhone)) != 0 {
		t.Fatal("a code was texted without a valid token")
	}
	h.login()
	for _, path := range []string{"/admin/plans", "/admin/logout", "/admin/clients/suspend", "/admin/simulator", "/admin/plans/1/archive"} {
		if st, _, _ := h.post(path, url.Values{"_csrf": {"forged"}}); st != http.StatusForbidden {
			t.Errorf("POST %s with a wrong token: %d", path, st)
		}
		req, _ := http.NewRequest(http.MethodPost, h.srv.URL+path, strings.NewReader("name=x"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if st, _, _ := h.do(req); st != http.StatusForbidden {
			t.Errorf("POST %s with no token: %d", path, st)
		}
	}
	if st, _, _ := h.get("/admin/"); st != http.StatusOK {
		t.Fatal("forged logout ended the session")
	}
}

func TestExpiredSessionGoesBackToLogin(t *testing.T) {
	h := newHarness(t)
	h.login()
	h.clock.Advance(12*time.Hour - time.Second)
	if st, _, _ := h.get("/admin/plans"); st != http.StatusOK {
		t.Fatalf("session before 12 h: %d", st)
	}
	h.clock.Advance(time.Second)
	st, loc, _ := h.get("/admin/plans")
	if st != http.StatusSeeOther || loc != "/admin/login" {
		t.Fatalf("session after 12 h: %d %q", st, loc)
	}
}

func TestLogoutEndsTheSessionServerSide(t *testing.T) {
	h := newHarness(t)
	h.login()
	u, _ := url.Parse(h.srv.URL + "/admin/")
	var token string
	for _, c := range h.client.Jar.Cookies(u) {
		if c.Name == sessionCookie {
			token = c.Value
		}
	}
	st, loc, _ := h.post("/admin/logout", nil)
	if st != http.StatusSeeOther || loc != "/admin/login" {
		t.Fatalf("logout: %d %q", st, loc)
	}
	if st, _, _ := h.get("/admin/"); st != http.StatusSeeOther {
		t.Fatalf("dashboard after logout: %d", st)
	}
	req, _ := http.NewRequest(http.MethodGet, h.srv.URL+"/admin/", nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: token})
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("old token after logout: %d", resp.StatusCode)
	}
}

func TestPagesNeedASession(t *testing.T) {
	h := newHarness(t)
	for _, path := range []string{"/admin", "/admin/", "/admin/plans", "/admin/plans/new", "/admin/plans/1", "/admin/clients",
		"/admin/subscribers", "/admin/subscribers/+15551110001", "/admin/announcements", "/admin/simulator", "/admin/backup"} {
		st, loc, _ := h.get(path)
		if st != http.StatusSeeOther || loc != "/admin/login" {
			t.Errorf("GET %s without a session: %d %q", path, st, loc)
		}
	}
}

func TestSecurityHeadersAndBodyLimit(t *testing.T) {
	h := newHarness(t)
	resp, err := h.client.Get(h.srv.URL + "/admin/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for k, want := range map[string]string{
		"Content-Security-Policy": "frame-ancestors 'none'", "X-Frame-Options": "DENY",
		"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store",
	} {
		if got := resp.Header.Get(k); !strings.Contains(got, want) {
			t.Errorf("%s = %q", k, got)
		}
	}
	if resp.Header.Get(echo.HeaderXRequestID) == "" {
		t.Error("no request id")
	}
	big := url.Values{"phone": {strings.Repeat("1", 70<<10)}}
	if st, _, _ := h.post("/admin/login", big); st != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized form: %d", st)
	}
}

type noT struct{}

func (noT) T(_, id string, _ map[string]any) string { return id }

type noHandler struct{}

func (noHandler) Handle(_ context.Context, _ bot.Inbound) (bot.Reply, error) { return bot.Reply{}, nil }

// Signing in and out each start a fresh CSRF token: one seen before login
// does not carry into the session, nor one of the session past logout.
func TestCSRFTokenRotatesAtLoginAndLogout(t *testing.T) {
	h := newHarness(t)
	h.get("/admin/login")
	before := h.csrf
	h.login()
	h.get("/admin/plans")
	during := h.csrf
	if before == "" || during == "" || during == before {
		t.Fatalf("CSRF token before login %q, after %q", before, during)
	}
	if st, _, _ := h.post("/admin/logout", nil); st != http.StatusSeeOther {
		t.Fatalf("logout: %d", st)
	}
	h.get("/admin/login")
	if after := h.csrf; after == "" || after == during || after == before {
		t.Fatalf("CSRF token after logout %q, during the session %q, before %q", after, during, before)
	}
}

// The CSRF token belongs to its session: an attacker's own cookie and token
// pair, sent along with a victim's session cookie, is refused, and the
// victim's own token still works.
func TestCSRFTokenIsBoundToTheSession(t *testing.T) {
	h := newHarness(t)
	seedYoga(h)
	h.login()
	h.get("/admin/clients")
	victimToken := h.csrf
	u, _ := url.Parse(h.srv.URL + "/admin/")
	session := findJarCookie(h.client, u, sessionCookie)

	attacker := &harness{t: t, db: h.db, srv: h.srv, client: newClient()}
	attacker.get("/admin/login")
	pairs := map[string][2]string{
		"login page":   {findJarCookie(attacker.client, u, csrfCookie), attacker.csrf},
		"token alone":  {"", attacker.csrf},
		"victim token": {findJarCookie(attacker.client, u, csrfCookie), victimToken + "x"},
	}
	for name, pair := range pairs {
		form := url.Values{"_csrf": {pair[1]}, "phone": {string(yogaPhone)}}
		req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/admin/clients/suspend", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: session})
		if pair[0] != "" {
			req.AddCookie(&http.Cookie{Name: csrfCookie, Value: pair[0]})
		}
		st, _, _ := attacker.do(req)
		if st != http.StatusForbidden || h.yoga().Status == bot.ClientSuspended {
			t.Errorf("%s pair with the victim's session: %d, client %s; want 403 and nothing suspended", name, st, h.yoga().Status)
		}
	}
	if st, _, body := h.post("/admin/clients/suspend", url.Values{"_csrf": {victimToken}, "phone": {string(yogaPhone)}}); st >= 400 || h.yoga().Status != bot.ClientSuspended {
		t.Fatalf("the victim's own token: %d %.200s", st, body)
	}
}

func findJarCookie(c *http.Client, u *url.URL, name string) string {
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}
