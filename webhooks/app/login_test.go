package app

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"nudges/bot"
	"nudges/store"
)

func TestClientSignsInWithACode(t *testing.T) {
	h := newHarness(t)
	b := h.signedIn(phoneA)
	if texts := h.codeTexts(phoneA); len(texts) != 1 || !strings.Contains(texts[0], "dashboard code is 123456") {
		t.Fatalf("code SMS: %q", texts)
	}
	r := b.get("/app/")
	if r.Status != http.StatusOK {
		t.Fatalf("overview: %d", r.Status)
	}
	mustContain(t, r.Body, "Client YOGA", `href="/app/"`, "Log out")
	if strings.Contains(r.Body, "Client GYM") {
		t.Error("A's page names B")
	}
	if r := b.post("/app/", "/app/logout", nil); r.Status != http.StatusSeeOther || r.Loc != "/app/login" {
		t.Fatalf("logout: %d %q", r.Status, r.Loc)
	}
	if r := b.get("/app/"); r.Status != http.StatusSeeOther {
		t.Fatalf("after logout: %d", r.Status)
	}
}

// Who may sign in: clients past signup. A pending client, a subscriber
// and an unknown phone get the very page a client gets, and no SMS.
func TestLoginDoesNotTellWhoIsAClient(t *testing.T) {
	h := newHarness(t)
	answer := func(p bot.Phone) string {
		b := h.browser("192.0.2.20")
		r := b.post("/app/login", "/app/login", url.Values{"phone": {string(p)}})
		if r.Status != http.StatusOK {
			t.Fatalf("%s: %d", p, r.Status)
		}
		return regexp.MustCompile(`name="_csrf" value="[^"]+"|\d{10,}`).ReplaceAllString(r.Body, "")
	}
	want := answer(phoneA)
	for _, p := range []bot.Phone{phonePend, subscriber, "+15559990000"} {
		if got := answer(p); got != want {
			t.Errorf("%s gets another page than a client:\n%s\n---\n%s", p, got, want)
		}
		if texts := h.codeTexts(p); len(texts) != 0 {
			t.Errorf("%s was texted a code: %q", p, texts)
		}
		b := h.browser("192.0.2.20")
		if r := b.post("/app/login", "/app/verify", url.Values{"phone": {string(p)}, "code": {"123456"}}); r.Status != http.StatusUnauthorized {
			t.Errorf("%s verified: %d", p, r.Status)
		}
	}
	for _, p := range []bot.Phone{phoneSusp, phoneCanc, phonePast} {
		b := h.signedIn(p)
		if r := b.get("/app/"); r.Status != http.StatusOK {
			t.Errorf("%s cannot see its overview: %d", p, r.Status)
		}
	}
}

func TestLoginRefusesBadInput(t *testing.T) {
	h := newHarness(t)
	b := h.browser("192.0.2.30")
	for _, phone := range []string{"", "abc", "+1", strings.Repeat("9", 40), "+1555000111\x00"} {
		r := b.post("/app/login", "/app/login", url.Values{"phone": {phone}})
		if r.Status != http.StatusOK || !strings.Contains(r.Body, `class="error"`) {
			t.Errorf("phone %q: %d", phone, r.Status)
		}
	}
	b.post("/app/login", "/app/login", url.Values{"phone": {string(phoneA)}})
	for _, code := range []string{"", "12345", "abcdef", "1234567", "000000"} {
		r := b.post("/app/login", "/app/verify", url.Values{"phone": {string(phoneA)}, "code": {code}})
		if r.Status == http.StatusSeeOther {
			t.Errorf("code %q signed in", code)
		}
	}
}

// The dashboard's code limits are its own: a client's phone worn out at
// the console can still sign in to its dashboard, and the other way.
func TestLoginLimitsAreCountedApartFromTheConsole(t *testing.T) {
	h := newHarness(t)
	b := h.browser("192.0.2.40")
	for range limits.IPCodesPerHour + 1 {
		b.post("/admin/login", "/admin/login", url.Values{"phone": {string(phoneB)}})
	}
	if r := b.post("/admin/login", "/admin/login", url.Values{"phone": {string(phoneB)}}); r.Status != http.StatusTooManyRequests {
		t.Fatalf("console limit not reached: %d", r.Status)
	}
	b.signIn("/app", phoneB)
	b = h.browser("192.0.2.40")
	for range limits.IPCodesPerHour + 1 {
		b.post("/app/login", "/app/login", url.Values{"phone": {string(phoneB)}})
	}
	if r := b.post("/app/login", "/app/login", url.Values{"phone": {string(phoneB)}}); r.Status != http.StatusTooManyRequests {
		t.Fatalf("dashboard limit not reached: %d", r.Status)
	}
	// A wrong code five times locks the dashboard's code, not the console's.
	c := h.browser("192.0.2.41")
	c.post("/app/login", "/app/login", url.Values{"phone": {string(phoneA)}})
	for range 5 {
		c.post("/app/login", "/app/verify", url.Values{"phone": {string(phoneA)}, "code": {"999999"}})
	}
	if r := c.post("/app/login", "/app/verify", url.Values{"phone": {string(phoneA)}, "code": {"123456"}}); r.Status != http.StatusTooManyRequests {
		t.Fatalf("dashboard code not locked: %d", r.Status)
	}
	c.signIn("/admin", adminPhone)
}

// A console session does not open the dashboard and a dashboard session
// does not open the console, even for a phone that is both.
func TestSessionsAreSeparateFromTheConsole(t *testing.T) {
	h := newHarness(t)
	con := h.browser("192.0.2.50")
	con.signIn("/admin", adminPhone)
	if r := con.get("/app/"); r.Status != http.StatusSeeOther || r.Loc != "/app/login" {
		t.Errorf("console session on /app: %d %q", r.Status, r.Loc)
	}
	dash := h.signedIn(phoneA)
	if r := dash.get("/admin/"); r.Status != http.StatusSeeOther || r.Loc != "/admin/login" {
		t.Errorf("dashboard session on /admin: %d %q", r.Status, r.Loc)
	}
	// The token values swapped between the two cookie names open nothing.
	swap := h.browser("192.0.2.50")
	swap.cookies["nudges_app_session"] = &http.Cookie{Name: "nudges_app_session", Value: con.cookies["nudges_session"].Value}
	if r := swap.get("/app/"); r.Status != http.StatusSeeOther {
		t.Errorf("console token under the dashboard's cookie: %d", r.Status)
	}
}

// WEB texts a link; its page signs in with one POST, once, within 10 minutes.
func TestWebLinkSignsInOnce(t *testing.T) {
	h := newHarness(t)
	reply := h.text(phoneA, "WEB")
	m := regexp.MustCompile(`http://localhost:8080(/app/login/\S+)`).FindStringSubmatch(reply)
	if m == nil {
		t.Fatalf("WEB reply: %q", reply)
	}
	link := m[1]
	b := h.browser("192.0.2.60")
	r := b.get(link)
	if r.Status != http.StatusOK {
		t.Fatalf("link page: %d", r.Status)
	}
	mustContain(t, r.Body, "Client YOGA", "Sign in")
	if r := b.get("/app/"); r.Status != http.StatusSeeOther {
		t.Fatal("opening the link page signed in (a link preview would spend it)")
	}
	if r := b.do(http.MethodPost, link, url.Values{}); r.Status != http.StatusForbidden {
		t.Errorf("link POST without CSRF: %d", r.Status)
	}
	if r := b.post(link, link, nil); r.Status != http.StatusSeeOther || r.Loc != "/app/" {
		t.Fatalf("link sign-in: %d %q %s", r.Status, r.Loc, r.Body)
	}
	if r := b.get("/app/"); r.Status != http.StatusOK || !strings.Contains(r.Body, "Client YOGA") {
		t.Fatalf("after link: %d", r.Status)
	}
	other := h.browser("192.0.2.61")
	if r := other.get(link); r.Status != http.StatusNotFound || !strings.Contains(r.Body, "expired or was already used") {
		t.Errorf("used link page: %d", r.Status)
	}
	if r := other.post("/app/login", link, nil); r.Status != http.StatusNotFound {
		t.Errorf("used link signed in again: %d", r.Status)
	}
	// Expired after 10 minutes; another client's pay token with A's
	// secret, and made-up tokens, open nothing.
	reply = h.text(phoneA, "WEB")
	link = regexp.MustCompile(`/app/login/\S+`).FindString(reply)
	_, secret, _ := strings.Cut(strings.TrimPrefix(link, "/app/login/"), ".")
	for _, bad := range []string{"/app/login/gympaytoken." + secret, "/app/login/" + secret, "/app/login/.", "/app/login/x.y", "/app/login/%00"} {
		if r := other.get(bad); r.Status != http.StatusNotFound {
			t.Errorf("%s: %d", bad, r.Status)
		}
		if r := other.post("/app/login", bad, nil); r.Status != http.StatusNotFound {
			t.Errorf("POST %s: %d", bad, r.Status)
		}
	}
	h.clock.Advance(10 * time.Minute)
	if r := other.post("/app/login", link, nil); r.Status != http.StatusNotFound {
		t.Errorf("link after 10 minutes: %d", r.Status)
	}
	// A client suspended since the link was sent may still sign in; one
	// that is gone may not.
	reply = h.text(phoneSusp, "WEB")
	link = regexp.MustCompile(`/app/login/\S+`).FindString(reply)
	h.write(func(tx *store.Tx) error {
		c, err := tx.Client(phoneSusp)
		if err != nil {
			return err
		}
		c.Status = bot.ClientPending
		return tx.PutClient(c)
	})
	if r := other.post("/app/login", link, nil); r.Status != http.StatusNotFound {
		t.Errorf("link of a client that may not sign in: %d", r.Status)
	}
}
