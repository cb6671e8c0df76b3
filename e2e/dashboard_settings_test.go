package e2e

import (
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// appSession is a browser signed in to the dashboard of the real binary.
type appSession struct {
	t *testing.T
	s *Server
	c *http.Client
}

var appCSRFField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// get returns path's status and page.
func (d *appSession) get(path string) (int, string) {
	d.t.Helper()
	resp, err := d.c.Get(d.s.URL + path)
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(page)
}

// post sends form to path with the CSRF token of the page at from.
func (d *appSession) post(from, path string, form url.Values) (int, string) {
	d.t.Helper()
	_, page := d.get(from)
	m := appCSRFField.FindStringSubmatch(page)
	if m == nil {
		d.t.Fatalf("no CSRF token on %s", from)
	}
	form.Set("_csrf", html.UnescapeString(m[1]))
	resp, err := d.c.PostForm(d.s.URL+path, form)
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// signInApp signs the client in with the code the dev-mode binary logs.
func signInApp(t *testing.T, s *Server) *appSession {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	d := &appSession{t: t, s: s, c: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
	d.post("/app/login", "/app/login", url.Values{"phone": {Client}})
	var code string
	WaitFor(t, 5*time.Second, "the dashboard login code in the log", func() bool {
		logs, _ := os.ReadFile(s.Log)
		m := regexp.MustCompile(`dashboard login code.*code=(\d{6})`).FindSubmatch(logs)
		if m != nil {
			code = string(m[1])
		}
		return m != nil
	})
	if st, page := d.post("/app/login", "/app/verify", url.Values{"phone": {Client}, "code": {code}}); st != http.StatusOK || !regexp.MustCompile(`Log out`).MatchString(page) {
		t.Fatalf("verify: %d\n%s", st, Tail(page, 20))
	}
	return d
}

// TestDashboardKeysAndWebhooksThroughTheBinary: in the real binary a client
// makes an API key in Settings and lists its subscribers with it, and adds
// an endpoint on 127.0.0.1 (allowed by NUDGES_WEBHOOK_ALLOW, which main
// hands the dashboard) whose test event arrives signed with the secret the
// page showed, and shows as delivered.
func TestDashboardKeysAndWebhooksThroughTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary")
	}
	var mu sync.Mutex
	var got []*http.Request
	var bodies [][]byte
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got, bodies = append(got, r), append(bodies, b)
		mu.Unlock()
	}))
	defer rcv.Close()
	db := filepath.Join(t.TempDir(), "nudges.db")
	SeedList(t, db, 3)
	s := Start(t, Options{DB: db, Env: []string{"NUDGES_WEBHOOK_ALLOW=127.0.0.1/32"}})
	defer s.Stop(t, 10*time.Second)
	d := signInApp(t, s)

	_, page := d.post("/app/settings/keys", "/app/settings/keys", url.Values{"name": {"e2e"}})
	key := regexp.MustCompile(`<code id="new-key">(nk_[A-Za-z0-9_-]+)</code>`).FindStringSubmatch(page)
	if key == nil {
		t.Fatalf("no key on the page:\n%s", Tail(page, 30))
	}
	code, list := apiCall(t, s, key[1], "GET", "/api/v1/subscribers", "")
	if data, _ := list["data"].([]any); code != 200 || len(data) != 3 {
		t.Fatalf("subscribers with the dashboard's key: %d %v", code, list)
	}

	_, page = d.post("/app/settings/webhooks", "/app/settings/webhooks", url.Values{"url": {rcv.URL + "/in"}, "event": {"subscriber.joined"}})
	secret := regexp.MustCompile(`<code id="new-secret">(whsec_[^<]+)</code>`).FindStringSubmatch(page)
	link := regexp.MustCompile(`/app/settings/webhooks/(\d+)`).FindStringSubmatch(page)
	if secret == nil || link == nil {
		t.Fatalf("endpoint not added:\n%s", Tail(page, 40))
	}
	if st, _ := d.post(link[0], link[0]+"/test", url.Values{}); st != http.StatusOK {
		t.Fatalf("send test event: %d", st)
	}
	WaitFor(t, 10*time.Second, "the test event at the receiver", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) > 0
	})
	wh, err := standardwebhooks.NewWebhook(html.UnescapeString(secret[1]))
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	err = wh.Verify(bodies[0], got[0].Header)
	mu.Unlock()
	if err != nil {
		t.Fatalf("signature: %v", err)
	}
	WaitFor(t, 5*time.Second, "the delivery logged on the endpoint's page", func() bool {
		_, page := d.get(link[0])
		return regexp.MustCompile(`webhook.test</td><td class="n">200</td>\s*<td>delivered`).MatchString(page)
	})
}
