package app

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"nudges/bot"
)

// wallCase is how the wall test drives one dashboard route. Every route
// the router has under /app must have one: TestWall fails on a route that
// is missing, so a new page cannot skip its wall checks.
type wallCase struct {
	// public routes need no session (login, code check, the WEB link, the
	// stylesheet); the others are checked without, with the wrong and with
	// the right session.
	public bool
	// path is the concrete path for a wildcard route ("" for the pattern).
	path string
	// ids makes (or finds) an object of owner's for each :param of the
	// path and returns the values: the test asks with A's session for A's
	// own (must not be 404) and for B's (must be 404).
	ids func(h *harness, owner bot.Phone) map[string]string
	// form is a form the route accepts (for POSTs); _csrf is added.
	form url.Values
	// refused are the client states in which the route's form must be
	// refused with a reason (403), e.g. sending while suspended.
	refused []bot.ClientStatus
}

// wall lists every /app route. To add a page: its rows here.
var wall = map[string]wallCase{
	"GET /app":                    {public: true},
	"GET /app/static/*":           {public: true, path: "/app/static/style.css"},
	"GET /app/login":              {public: true},
	"POST /app/login":             {public: true, form: url.Values{"phone": {string(phoneA)}}},
	"POST /app/verify":            {public: true, form: url.Values{"phone": {string(phoneA)}, "code": {"000000"}}},
	"GET /app/login/:token":       {public: true, path: "/app/login/yogapaytoken.nosuchsecret"},
	"POST /app/login/:token":      {public: true, path: "/app/login/yogapaytoken.nosuchsecret"},
	"POST /app/logout":            {},
	"GET /app/":                   {},
	"GET /app/qr.svg":             {},
	"GET /app/qr.png":             {},
	"GET /app/number":             {},
	"POST /app/number":            {form: goodRegistration()},
	"GET /app/billing":            {},
	"POST /app/billing/link":      {},
	"GET /app/settings":           {},
	"POST /app/settings/welcome":  {form: url.Values{"welcome": {"Hello there"}}},
	"POST /app/settings/replies":  {form: url.Values{"replies": {"on"}}},
	"POST /app/settings/language": {form: url.Values{"lang": {"en"}}},
	// announcements.go, compose.go
	"GET /app/announcements":             {},
	"GET /app/announcements/new":         {},
	"POST /app/announcements/preview":    {form: url.Values{"text": {"Hello"}}, refused: notSending},
	"POST /app/announcements/send":       {form: sendForm, refused: notSending},
	"GET /app/announcements/:id":         {ids: announcementIDs},
	"POST /app/announcements/:id/halt":   {ids: announcementIDs, refused: notSending},
	"POST /app/announcements/:id/cancel": {ids: announcementIDs, refused: notSending},
	// Settings › API keys and Webhooks (keys_test.go, hooks_test.go).
	"GET /app/settings/keys":                  {},
	"POST /app/settings/keys":                 {form: url.Values{"name": {"wall"}}, refused: noCreate},
	"POST /app/settings/keys/:id/revoke":      {ids: keyOf},
	"GET /app/settings/webhooks":              {},
	"POST /app/settings/webhooks":             {form: hookForm(publicHook), refused: noCreate},
	"GET /app/settings/webhooks/:id":          {ids: endpointOf},
	"POST /app/settings/webhooks/:id/test":    {ids: endpointOf, refused: noCreate},
	"POST /app/settings/webhooks/:id/disable": {ids: endpointOf},
	"POST /app/settings/webhooks/:id/enable":  {ids: endpointOf, refused: noCreate},
	"POST /app/settings/webhooks/:id/delete":  {ids: endpointOf},
	"GET /app/subscribers":                    {},
	"GET /app/subscribers.csv":                {},
	"GET /app/subscribers/import":             {},
	"POST /app/subscribers/import":            {form: url.Values{"consent": {"yes"}}, refused: cannotImport},
	"GET /app/subscribers/import/:id":         {ids: importOf},
	"GET /app/replies":                        {},
	"GET /app/replies/:n":                     {ids: threadOf},
	"POST /app/replies/:n":                    {ids: threadOf, form: url.Values{"text": {"See you at 7"}}, refused: cannotAnswer},
}

// stateClients are the signed-in clients whose state may forbid a form.
var stateClients = map[bot.ClientStatus]bot.Phone{
	bot.ClientSuspended: phoneSusp, bot.ClientCanceled: phoneCanc, bot.ClientPastDue: phonePast,
}

func TestWall(t *testing.T) {
	h := newHarness(t)
	for _, p := range wallProblems(h, wall) {
		t.Error(p)
	}
}

// The wall test catches what it is for: a route missing from the table, a
// route that answers A's session with B's object, one open without a
// session or a CSRF token, and a form a suspended client may still use.
func TestWallCatchesLeaks(t *testing.T) {
	h := newHarness(t)
	leak := func(ec echo.Context) error { return ec.String(http.StatusOK, "note "+ec.Param("id")) }
	ok := func(ec echo.Context, _ *bot.Client) error { return ec.String(http.StatusOK, "done") }
	auth, csrf := h.dash.kit.RequireSession, h.dash.kit.CSRF()
	h.e.GET("/app/leak/:id", leak, auth, csrf)
	h.e.GET("/app/unlisted", leak, auth)
	h.e.GET("/app/open", leak)
	h.e.POST("/app/nocsrf", leak, auth)
	h.e.POST("/app/lax", h.dash.wrap(route{Method: http.MethodPost, Path: "/lax", Handle: ok}), auth, csrf)
	strict := []bot.ClientStatus{bot.ClientActive}
	h.e.POST("/app/strict", h.dash.wrap(route{Method: http.MethodPost, Path: "/strict", Handle: ok, States: strict}), auth, csrf)
	table := map[string]wallCase{
		"GET /app/leak/:id": {ids: func(_ *harness, p bot.Phone) map[string]string {
			return map[string]string{"id": strings.TrimPrefix(string(p), "+")}
		}},
		"GET /app/open":    {},
		"POST /app/nocsrf": {},
		"POST /app/lax":    {refused: []bot.ClientStatus{bot.ClientSuspended}},
		"POST /app/strict": {refused: []bot.ClientStatus{bot.ClientSuspended, bot.ClientCanceled, bot.ClientPastDue}},
	}
	for k, v := range wall {
		table[k] = v
	}
	got := strings.Join(wallProblems(h, table), "\n")
	for _, want := range []string{
		"GET /app/unlisted: not in the wall table",
		"GET /app/leak/15550002222 with A's session: 200, want 404",
		"GET /app/open with no session: 200",
		"POST /app/nocsrf with CSRF token \"\": 200, want 403",
		"POST /app/lax as a suspended client: 200, want a 403 refusal",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("wall problems lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "/app/strict") {
		t.Errorf("a form refused in the states the table names is reported:\n%s", got)
	}
}

// wallProblems runs every check of table against h's router and returns
// what failed.
func wallProblems(h *harness, table map[string]wallCase) []string {
	var out []string
	seen := map[string]bool{}
	con := h.browser("192.0.2.71")
	con.signIn("/admin", adminPhone)
	for _, r := range h.e.Routes() {
		if !strings.HasPrefix(r.Path, "/app") || !strings.HasPrefix(r.Method, strings.ToUpper(r.Method)) || r.Method == echo.RouteNotFound {
			continue
		}
		key := r.Method + " " + r.Path
		if seen[key] {
			continue
		}
		seen[key] = true
		wc, ok := table[key]
		if !ok {
			out = append(out, key+": not in the wall table")
			continue
		}
		out = append(out, checkRoute(h, con, r.Method, r.Path, wc)...)
	}
	for key := range table {
		if !seen[key] {
			out = append(out, key+": in the wall table but not a route")
		}
	}
	sort.Strings(out)
	return out
}

// fill puts values into pattern's :params (or returns wc.path).
func fill(pattern string, wc wallCase, values map[string]string) string {
	if wc.path != "" {
		return wc.path
	}
	parts := strings.Split(pattern, "/")
	for i, p := range parts {
		if name, ok := strings.CutPrefix(p, ":"); ok {
			parts[i] = url.PathEscape(values[name])
		}
	}
	return strings.Join(parts, "/")
}

// checkRoute checks one route; con holds a console session.
func checkRoute(h *harness, con *browser, method, pattern string, wc wallCase) []string {
	var out []string
	bad := func(format string, a ...any) { out = append(out, fmt.Sprintf(format, a...)) }
	own := func(p bot.Phone) string {
		if wc.ids == nil {
			return fill(pattern, wc, nil)
		}
		return fill(pattern, wc, wc.ids(h, p))
	}
	path := own(phoneA)
	post := method != http.MethodGet
	if wc.public {
		if post {
			out = append(out, checkCSRF(h.browser("192.0.2.70"), method, path, "/app/login", wc.form)...)
		}
		return out
	}
	// No session, and a console session, are both signed out here.
	for who, b := range map[string]*browser{"no session": h.browser("192.0.2.72"), "a console session": con} {
		r := b.do(method, path, withCSRF(wc.form, "x"))
		switch {
		case !post && (r.Status != http.StatusSeeOther || r.Loc != "/app/login"):
			bad("%s %s with %s: %d %q, want the login page", method, path, who, r.Status, r.Loc)
		case post && r.Status != http.StatusUnauthorized:
			bad("%s %s with %s: %d, want 401", method, path, who, r.Status)
		}
	}
	a := h.session(phoneA)
	if post {
		out = append(out, checkCSRF(a, method, path, "/app/", wc.form)...)
	}
	if wc.ids != nil {
		other := fill(pattern, wc, wc.ids(h, phoneB))
		if r := a.do(method, other, withCSRF(wc.form, a.token("/app/"))); r.Status != http.StatusNotFound {
			bad("%s %s with A's session: %d, want 404", method, other, r.Status)
		}
	}
	return append(out, checkStates(h, method, pattern, wc, own)...)
}

// checkStates signs in the clients in other states: pages open, and the
// forms the table names refused with a reason, the others allowed.
func checkStates(h *harness, method, pattern string, wc wallCase, own func(bot.Phone) string) []string {
	var out []string
	post := method != http.MethodGet
	for st, p := range stateClients {
		b := h.session(p)
		r := b.do(method, own(p), withCSRF(wc.form, b.token("/app/")))
		refused := slices.Contains(wc.refused, st)
		switch {
		case !post && r.Status != http.StatusOK:
			out = append(out, fmt.Sprintf("%s %s as a %s client: %d, want 200 (it sees everything)", method, pattern, st, r.Status))
		case refused && (r.Status != http.StatusForbidden || !strings.Contains(r.Body, "cannot be done now")):
			out = append(out, fmt.Sprintf("%s %s as a %s client: %d, want a 403 refusal", method, pattern, st, r.Status))
		case post && !refused && (r.Status == http.StatusForbidden || r.Status == http.StatusUnauthorized):
			out = append(out, fmt.Sprintf("%s %s as a %s client: %d, want it allowed", method, pattern, st, r.Status))
		}
	}
	return out
}

// checkCSRF posts without a token and with a wrong one (403 both), then
// with the right one (anything but 403).
func checkCSRF(b *browser, method, path, from string, form url.Values) []string {
	var out []string
	for _, tok := range []string{"", "wrong-token"} {
		if r := b.do(method, path, withCSRF(form, tok)); r.Status != http.StatusForbidden {
			out = append(out, fmt.Sprintf("%s %s with CSRF token %q: %d, want 403", method, path, tok, r.Status))
		}
	}
	if r := b.do(method, path, withCSRF(form, b.token(from))); r.Status == http.StatusForbidden {
		out = append(out, fmt.Sprintf("%s %s with the right CSRF token: 403", method, path))
	}
	return out
}

// withCSRF is a copy of form with _csrf set to tok ("" leaves it out).
func withCSRF(form url.Values, tok string) url.Values {
	out := url.Values{}
	for k, v := range form {
		out[k] = slices.Clone(v)
	}
	if tok != "" {
		out.Set("_csrf", tok)
	}
	return out
}
