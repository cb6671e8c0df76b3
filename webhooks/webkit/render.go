package webkit

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"nudges/bot"
)

// StaticFS is the stylesheet both audiences serve (static/style.css).
//
//go:embed static
var StaticFS embed.FS

// sharedFS holds the pages webkit renders itself for every audience (the
// code-entry page of the login), each in that audience's layout; {{base}}
// is the audience's path. Its *.tmpl files are parts every page may use
// ({{template "import_progress" .}}).
//
//go:embed templates/*.html templates/*.tmpl
var sharedFS embed.FS

// View is what every page template gets.
type View struct {
	Title  string
	Nav    string    // the menu entry to highlight; default: the page's name
	Who    bot.Phone // signed-in phone, "" on the login pages
	CSRF   string
	Notice string
	Error  string
	D      any // the page's own data
	// Layout is what the audience's layout shows around every page (the
	// dashboard's client and menu); nil when it needs nothing.
	Layout any

	// Refresh, when above 0, reloads the page after that many seconds (a
	// meta refresh: no JavaScript), while something on it is changing.
	Refresh int
}

// pages maps a page file name to its template, parsed with the layout.
type pages map[string]*template.Template

// Funcs are the template functions every audience's pages may use.
var Funcs = template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04 MST")
	},
	"whenIn": WhenIn,
	"day":    func(t time.Time) string { return t.UTC().Format("Jan 2") },
	"money":  Money,
	"upper":  strings.ToUpper,
	"pct": func(f float64) string {
		if f < 0 {
			return "—"
		}
		return fmt.Sprintf("%.1f%%", f)
	},
	"join": strings.Join,
}

// WhenIn is t in the IANA zone named zone (a client's own, for its
// scheduled announcements), else in UTC.
func WhenIn(t time.Time, zone string) string {
	if t.IsZero() {
		return "—"
	}
	loc, err := time.LoadLocation(zone)
	if err != nil || zone == "" {
		loc = time.UTC
	}
	return t.In(loc).Format("Mon Jan 2, 3:04 PM MST")
}

// Money shows minor units in the currency's major unit: "9.00 USD".
func Money(minor int64, currency string) string {
	cur := strings.ToUpper(currency)
	if bot.ZeroDecimal(currency) {
		return fmt.Sprintf("%d %s", minor, cur)
	}
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	return fmt.Sprintf("%s%d.%02d %s", sign, minor/100, minor%100, cur)
}

func parsePages(fsys fs.FS, audBase string, extra map[string]any) (pages, error) {
	all := template.FuncMap{}
	for k, f := range Funcs {
		all[k] = f
	}
	for k, f := range extra {
		all[k] = f
	}
	all["base"] = func() string { return audBase }
	names, err := fs.Glob(fsys, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := pages{}
	for _, n := range names {
		base := path.Base(n)
		if base == "layout.html" {
			continue
		}
		t, err := template.New(base).Funcs(all).ParseFS(fsys, "templates/layout.html", n)
		if err == nil {
			_, err = t.ParseFS(sharedFS, "templates/*.tmpl")
		}
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", base, err)
		}
		out[base] = t
	}
	shared, err := fs.Glob(sharedFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, n := range shared {
		name := path.Base(n)
		t, err := template.New(name).Funcs(all).ParseFS(fsys, "templates/layout.html")
		if err == nil {
			_, err = t.ParseFS(sharedFS, n, "templates/*.tmpl")
		}
		if err != nil {
			return nil, fmt.Errorf("parse shared %s: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

// Render executes page with v into a buffer first, so a template error
// never sends half a page. It fills in the CSRF token, the signed-in phone
// and the nav entry.
func (k *Kit) Render(ec echo.Context, status int, page string, v View) error {
	t, ok := k.pages[page]
	if !ok {
		return fmt.Errorf("no page %s", page)
	}
	if tok, ok := ec.Get("csrf").(string); ok {
		v.CSRF = tok
	}
	if v.Who == "" {
		v.Who = Who(ec)
	}
	if v.Nav == "" {
		v.Nav = strings.TrimSuffix(page, ".html")
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		k.log.Error(k.aud.Name+": render", "page", page, "err", err)
		return ec.String(http.StatusInternalServerError, "page failed to render")
	}
	return ec.HTMLBlob(status, buf.Bytes())
}
