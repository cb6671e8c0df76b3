// Package web serves the public pages anyone may open, no login: a client's
// join page and its QR code (/j/), tracked links from announcements (/l/)
// the pictures of MMS announcements (/m/) and a client's toll-free number
// registration form (/r/).
package web

import (
	"embed"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"nudges/bot"
)

//go:embed templates/*.html
var templates embed.FS

// RegisterBodyLimit bounds a posted registration form (413 beyond it).
const RegisterBodyLimit = "32K"

// Store reads clients and saves a registration (the bot.Store is one).
type Store interface {
	View(fn func(tx bot.Tx) error) error
	Update(fn func(tx bot.Tx) error) error
}

// Links resolves tracked links and counts their clicks (the store is one).
type Links interface {
	FollowLink(code, visitor string, count bool, now time.Time, window time.Duration) (url string, found bool, err error)
}

// Pictures serves kept MMS pictures (the store is one).
type Pictures interface {
	Picture(token string) (ctype string, data []byte, found bool, err error)
}

// Config is what the pages need.
type Config struct {
	Store    Store
	Links    Links
	Pictures Pictures
	T        bot.Translator
	// Number is the number c's subscribers text (flows.Brain.NumberOf).
	Number func(c *bot.Client) string
	Clock  bot.Clock
	Log    *slog.Logger
	// TrustedProxies (NUDGES_TRUSTED_PROXIES) are the peers whose
	// X-Forwarded-For is believed when a click's address is read.
	TrustedProxies []*net.IPNet
	// Registrar submits toll-free verifications from /r/{token}; nil: the
	// registration form is not served.
	Registrar bot.TollFreeVerifier
	// PublicURL builds the join page's address the form offers as the
	// opt-in evidence.
	PublicURL string
}

// Pages serves the public endpoints.
type Pages struct {
	cfg      Config
	tmpl     *template.Template
	clientIP echo.IPExtractor // ClientIP(cfg.TrustedProxies)
	// form is the registration form's logic, shared with the dashboard.
	form *RegisterForm
}

// New parses the templates and returns the pages.
func New(cfg Config) (*Pages, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Clock == nil {
		cfg.Clock = bot.SystemClock{}
	}
	t, err := template.New("").ParseFS(templates, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("web templates: %w", err)
	}
	p := &Pages{cfg: cfg, tmpl: t, clientIP: ClientIP(cfg.TrustedProxies)}
	p.form = &RegisterForm{cfg: &p.cfg}
	return p, nil
}

// Register mounts GET /, /j/{KEYWORD}, /j/{KEYWORD}/qr.svg, /l/{code},
// /m/{token} and, with a Registrar, GET and POST /r/{token} on e.
func (p *Pages) Register(e *echo.Echo) {
	e.GET("/", p.home)
	e.GET("/j/:keyword", p.join)
	e.GET("/j/:keyword/qr.svg", p.qr)
	e.GET("/l/:code", p.follow)
	e.HEAD("/l/:code", p.follow)
	e.GET("/m/:token", p.picture)
	if p.cfg.Registrar != nil {
		e.GET("/r/:token", p.registerForm)
		e.POST("/r/:token", p.registerSubmit, middleware.BodyLimit(RegisterBodyLimit))
	}
	for _, prefix := range []string{"/j/*", "/l/*", "/m/*", "/r/*"} {
		e.GET(prefix, p.notFound) // deeper paths: the same 404 page
	}
}

// home is the front page: what the service is, how to join a list (the
// number to text, join pages), how businesses start one, and the console.
func (p *Pages) home(c echo.Context) error {
	return p.render(c, http.StatusOK, "home.html", map[string]any{"Number": p.cfg.Number(nil)})
}

// lang is the page's language from Accept-Language: Spanish when the
// browser puts it first, else English.
func lang(r *http.Request) string {
	first, _, _ := strings.Cut(r.Header.Get("Accept-Language"), ",")
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(first)), "es") {
		return bot.Spanish
	}
	return bot.English
}

// notFound is the one 404 page of every public path: it says nothing about
// why (unknown, inactive, expired).
func (p *Pages) notFound(c echo.Context) error {
	l := lang(c.Request())
	return p.render(c, http.StatusNotFound, "notfound.html", map[string]any{
		"Lang": p.cfg.T.T(l, "PageLang", nil), "Title": p.cfg.T.T(l, "NotFoundTitle", nil),
		"Text": p.cfg.T.T(l, "NotFoundText", nil),
	})
}

func (p *Pages) render(c echo.Context, status int, name string, data any) error {
	var b strings.Builder
	if err := p.tmpl.ExecuteTemplate(&b, name, data); err != nil {
		return p.internal(c, "render "+name, err)
	}
	c.Response().Header().Set("Content-Security-Policy", "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'")
	return c.HTML(status, b.String())
}

// internal logs err and answers a bare 500.
func (p *Pages) internal(c echo.Context, what string, err error) error {
	p.cfg.Log.Error("public page", "what", what, "path", c.Request().URL.Path, "err", err)
	return c.String(http.StatusInternalServerError, "Something went wrong. Please try again.\n")
}
