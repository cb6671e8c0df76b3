package admin

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

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// whenIn is t in the IANA zone named zone (a client's own, for its
// scheduled announcements), else in UTC.
func whenIn(t time.Time, zone string) string {
	if t.IsZero() {
		return "—"
	}
	loc, err := time.LoadLocation(zone)
	if err != nil || zone == "" {
		loc = time.UTC
	}
	return t.In(loc).Format("Mon Jan 2, 3:04 PM MST")
}

// pages maps a page file name to its template, parsed with the layout.
type pages map[string]*template.Template

var funcs = template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04 MST")
	},
	"whenIn": whenIn,
	"day":    func(t time.Time) string { return t.UTC().Format("Jan 2") },
	"money":  formatMoney,
	"upper":  strings.ToUpper,
	"pct": func(f float64) string {
		if f < 0 {
			return "—"
		}
		return fmt.Sprintf("%.1f%%", f)
	},
	"phonePath":  phonePath,
	"clientPath": clientPath,
	"join":       strings.Join,
}

// pluralFunc is the templates' {{n "ConsoleRecipients" 3}}: the message's
// plural form for that count, in English (the console's language); more
// template values may follow as name, value pairs.
func pluralFunc(tr bot.Translator) func(id string, count int, kv ...any) string {
	return func(id string, count int, kv ...any) string {
		data := map[string]any{"PluralCount": count}
		for i := 0; i+1 < len(kv); i += 2 {
			if k, ok := kv[i].(string); ok {
				data[k] = kv[i+1]
			}
		}
		return tr.T(bot.English, id, data)
	}
}

func parsePages(tr bot.Translator) (pages, error) {
	all := template.FuncMap{"n": pluralFunc(tr)}
	for k, f := range funcs {
		all[k] = f
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := pages{}
	for _, n := range names {
		base := path.Base(n)
		if base == "layout.html" {
			continue
		}
		t, err := template.New(base).Funcs(all).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", base, err)
		}
		out[base] = t
	}
	return out, nil
}

// view is what every page template gets.
type view struct {
	Title  string
	Nav    string    // the menu entry to highlight
	Admin  bot.Phone // signed-in phone, "" on the login pages
	CSRF   string
	Notice string
	Error  string
	D      any // the page's own data

	// Refresh, when above 0, reloads the page after that many seconds (a
	// meta refresh: no JavaScript), while something on it is changing.
	Refresh int
}

// render executes page into a buffer first, so a template error never sends
// half a page.
func (c *Console) render(ec echo.Context, status int, page, title string, data any) error {
	return c.renderView(ec, status, page, view{Title: title, D: data})
}

func (c *Console) renderView(ec echo.Context, status int, page string, v view) error {
	t, ok := c.pages[page]
	if !ok {
		return fmt.Errorf("no page %s", page)
	}
	if tok, ok := ec.Get("csrf").(string); ok {
		v.CSRF = tok
	}
	if p, ok := ec.Get(adminKey).(bot.Phone); ok {
		v.Admin = p
	}
	if v.Nav == "" {
		v.Nav = strings.TrimSuffix(page, ".html")
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		c.log.Error("console: render", "page", page, "err", err)
		return ec.String(http.StatusInternalServerError, "page failed to render")
	}
	return ec.HTMLBlob(status, buf.Bytes())
}

func staticHandler() echo.HandlerFunc {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err) // embedded at build time
	}
	fileServer := http.StripPrefix("/admin/static/", http.FileServer(http.FS(sub)))
	return func(ec echo.Context) error {
		ec.Response().Header().Set("Cache-Control", "public, max-age=3600")
		fileServer.ServeHTTP(ec.Response(), ec.Request())
		return nil
	}
}

// formatMoney shows minor units in the currency's major unit: "9.00 USD".
func formatMoney(minor int64, currency string) string {
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
