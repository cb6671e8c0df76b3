package webkit

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/labstack/echo/v4"

	"nudges/bot"
	"nudges/store"
)

var t0 = time.Date(2026, 3, 30, 15, 0, 0, 0, time.UTC)

type echoT struct{}

func (echoT) T(_, id string, data map[string]any) string { return id }

var testPages = fstest.MapFS{
	"templates/layout.html": {Data: []byte(`{{define "layout"}}{{.Title}}|{{.Who}}|{{.Notice}}|{{.Error}}|{{template "content" .}}{{end}}`)},
	"templates/login.html":  {Data: []byte(`{{define "content"}}login csrf={{.CSRF}}{{end}}`)},
	"templates/error.html":  {Data: []byte(`{{define "content"}}error {{.D.Status}} {{.D.Message}}{{end}}`)},
	"templates/home.html":   {Data: []byte(`{{define "content"}}home csrf={{.CSRF}}{{end}}`)},
}

// twoKits are a console-like and a dashboard-like audience on one store,
// both letting the same phone in.
func twoKits(t *testing.T) (*echo.Echo, *store.DB, func() string) {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "n.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var last string
	codes := func() (string, error) { last = "123456"; return last, nil }
	e := echo.New()
	for _, a := range []Audience{
		{Name: "console", Base: "/admin", Cookie: "nudges"},
		{Name: "dashboard", Base: "/app", Cookie: "nudges_app", Scope: "app:", Refuse401: true},
	} {
		a.May = func(_ *store.Tx, p bot.Phone) (bool, error) { return p == "+15550000001", nil }
		k, err := New(a, Config{Clock: bot.NewFixedClock(t0), T: echoT{}, Codes: codes, LoginRate: 1000, LoginBurst: 1000}, db, testPages, nil)
		if err != nil {
			t.Fatal(err)
		}
		g := k.Group(e)
		g.GET("/", func(ec echo.Context) error { return k.Render(ec, 200, "home.html", View{Title: "Home"}) }, k.CSRF(), k.RequireSession)
		g.POST("/act", func(ec echo.Context) error { return ec.String(200, "done") }, k.RequireSession, k.CSRF())
	}
	return e, db, func() string { return last }
}

func do(e *echo.Echo, method, path string, form url.Values, cookies []*http.Cookie) *httptest.ResponseRecorder {
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, path, nil)
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec
}

// signIn runs the code login of base and returns the session cookie.
func signIn(t *testing.T, e *echo.Echo, base string) *http.Cookie {
	t.Helper()
	rec := do(e, "GET", base+"/login", nil, nil)
	pre := rec.Result().Cookies()
	tok := strings.SplitN(strings.SplitN(rec.Body.String(), "csrf=", 2)[1], "|", 2)[0]
	form := url.Values{"phone": {"+15550000001"}, "_csrf": {tok}}
	if rec := do(e, "POST", base+"/login", form, pre); rec.Code != 200 ||
		!strings.Contains(rec.Body.String(), `action="`+base+`/verify"`) || !strings.Contains(rec.Body.String(), `href="`+base+`/login"`) {
		t.Fatalf("%s code page (webkit's own, in the audience's layout, posting to its own path): %d %s", base, rec.Code, rec.Body)
	}
	form.Set("code", "123456")
	rec = do(e, "POST", base+"/verify", form, pre)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("%s verify: %d %s", base, rec.Code, rec.Body)
	}
	for _, c := range rec.Result().Cookies() {
		if strings.HasSuffix(c.Name, "_session") && c.Value != "" {
			return c
		}
	}
	t.Fatal("no session cookie")
	return nil
}

func TestAudiencesDoNotShareSessionsOrTokens(t *testing.T) {
	e, _, _ := twoKits(t)
	admin, app := signIn(t, e, "/admin"), signIn(t, e, "/app")
	if admin.Name == app.Name || admin.Path != "/admin" || app.Path != "/app" {
		t.Fatalf("cookies: %+v %+v", admin, app)
	}
	if rec := do(e, "GET", "/app/", nil, []*http.Cookie{admin}); rec.Code != http.StatusSeeOther {
		t.Errorf("console session opened the dashboard: %d", rec.Code)
	}
	// The console's token value under the dashboard's cookie name opens nothing.
	swapped := &http.Cookie{Name: app.Name, Value: admin.Value}
	if rec := do(e, "GET", "/app/", nil, []*http.Cookie{swapped}); rec.Code != http.StatusSeeOther {
		t.Errorf("console token opened the dashboard: %d", rec.Code)
	}
	rec := do(e, "GET", "/app/", nil, []*http.Cookie{app})
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "15550000001") {
		t.Fatalf("dashboard home: %d %s", rec.Code, rec.Body)
	}
	appTok := strings.SplitN(rec.Body.String(), "csrf=", 2)[1]
	adminTok := strings.SplitN(do(e, "GET", "/admin/", nil, []*http.Cookie{admin}).Body.String(), "csrf=", 2)[1]
	if rec := do(e, "POST", "/app/act", url.Values{"_csrf": {adminTok}}, []*http.Cookie{app}); rec.Code != http.StatusForbidden {
		t.Errorf("console CSRF token passed in the dashboard: %d", rec.Code)
	}
	if rec := do(e, "POST", "/app/act", url.Values{"_csrf": {appTok}}, []*http.Cookie{app}); rec.Code != 200 {
		t.Errorf("dashboard action with its token: %d", rec.Code)
	}
	if rec := do(e, "POST", "/app/act", url.Values{"_csrf": {appTok}}, nil); rec.Code != http.StatusUnauthorized {
		t.Errorf("dashboard POST without a session: %d, want 401", rec.Code)
	}
	if rec := do(e, "POST", "/admin/act", nil, nil); rec.Code != http.StatusSeeOther {
		t.Errorf("console POST without a session: %d, want the login redirect", rec.Code)
	}
}

func TestAudiencesCountLimitsApart(t *testing.T) {
	e, db, _ := twoKits(t)
	for range DefaultLimits.IPCodesPerHour + 1 {
		rec := do(e, "GET", "/admin/login", nil, nil)
		tok := strings.SplitN(strings.SplitN(rec.Body.String(), "csrf=", 2)[1], "|", 2)[0]
		do(e, "POST", "/admin/login", url.Values{"phone": {"+15550000002"}, "_csrf": {tok}}, rec.Result().Cookies())
	}
	var console, dash int
	err := db.Read(func(tx *store.Tx) error {
		var err error
		if console, err = tx.Hits("code:192.0.2.1", t0, time.Hour); err != nil {
			return err
		}
		dash, err = tx.Hits("app:code:192.0.2.1", t0, time.Hour)
		return err
	})
	if err != nil || console != DefaultLimits.IPCodesPerHour+1 || dash != 0 {
		t.Fatalf("counters: console %d dashboard %d %v", console, dash, err)
	}
	// The console's address is over its cap; the dashboard still answers.
	signIn(t, e, "/app")
}
