package e2e

import (
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"nudges/webhooks/twilio/twiliotest"
)

var (
	webLink   = regexp.MustCompile(`/app/login/[A-Za-z0-9._~-]+`)
	csrfInput = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)
)

// TestDashboardRepliesThroughTheBinary checks the binary's wiring of the
// dashboard's Subscribers and Replies pages: the client signs in with the
// link WEB texts, sees a reply as #1 without the subscriber's number,
// answers it from the page (the answer reaches the fake Twilio), and
// downloads its list.
func TestDashboardRepliesThroughTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary")
	}
	tw := twiliotest.New(t)
	db := filepath.Join(t.TempDir(), "nudges.db")
	subs := SeedList(t, db, 2)
	s := Start(t, Options{DB: db, Twilio: tw})
	defer s.Stop(t, 10*time.Second)
	s.SMS(t, Client, "Class at 7")
	s.SMS(t, Client, "CONFIRM")
	announced(t, tw, len(subs))
	s.SMS(t, string(subs[0]), "is class full?")

	jar, _ := cookiejar.New(nil)
	web := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) (int, string) {
		t.Helper()
		res, err := web.Get(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	post := func(from, path string, form url.Values) int {
		t.Helper()
		_, page := get(from)
		m := csrfInput.FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no CSRF token on %s:\n%s", from, page)
		}
		form.Set("_csrf", html.UnescapeString(m[1]))
		res, err := web.PostForm(s.URL+path, form)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	link := webLink.FindString(s.SMS(t, Client, "WEB"))
	if link == "" {
		t.Fatal("WEB texted no link")
	}
	if code := post(link, link, url.Values{}); code != http.StatusSeeOther {
		t.Fatalf("sign in with the link: %d", code)
	}
	code, page := get("/app/replies")
	if code != http.StatusOK || !strings.Contains(page, "is class full?") || !strings.Contains(page, "#1") {
		t.Fatalf("replies: %d\n%s", code, page)
	}
	if digits := strings.TrimPrefix(string(subs[0]), "+"); strings.Contains(page, digits) {
		t.Error("the replies page shows the subscriber's number")
	}
	if code := post("/app/replies/1", "/app/replies/1", url.Values{"text": {"Two spots left"}}); code != http.StatusSeeOther {
		t.Fatalf("answer: %d", code)
	}
	WaitFor(t, 10*time.Second, "the answer at the fake Twilio", func() bool {
		for _, r := range tw.Sent() {
			if r.Form.Get("To") == string(subs[0]) && r.Form.Get("Body") == ClientName+": Two spots left" {
				return true
			}
		}
		return false
	})
	if code, csv := get("/app/subscribers.csv"); code != http.StatusOK || !strings.Contains(csv, string(subs[1])) {
		t.Errorf("list download: %d\n%s", code, csv)
	}
}
