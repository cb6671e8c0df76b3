// Package app is the client's own dashboard under /app: a client signs in
// with its phone and a code by SMS (or the link WEB texts it) and sees and
// changes its own list and nothing else. Pages are server-rendered from
// embedded templates and need no JavaScript. The plumbing (sessions, codes,
// CSRF, rendering) is webhooks/webkit's, shared with the operator console.
package app

import (
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"nudges/bot"
	"nudges/flows"
	"nudges/store"
	"nudges/webhooks/web"
	"nudges/webhooks/webkit"
)

//go:embed templates/*.html
var templateFS embed.FS

// Config is what the dashboard needs from main.
type Config struct {
	Web webkit.Config // public URL, dev mode, clock, translator, codes, limits
	// Number is the number c's subscribers text (flows.Brain.NumberOf).
	Number func(c *bot.Client) string
	// Register is the toll-free registration form's logic, shared with
	// /r/{token} (web.Pages.Registration); nil: the Number page shows no form.
	Register *web.RegisterForm
	// Billing makes PLAN's link (flows.Brain); Discount is PLAN's discount
	// line (flows.DiscountLine in English). Nil: the Billing page has no
	// button, no discount.
	Billing  Biller
	Discount func(tx bot.Tx, c *bot.Client, p *bot.Plan, now time.Time) (string, error)
	// Settings are the SMS commands' setting changes (required).
	Settings Settings
	// Service runs a client's announcements by the SMS rules (CONFIRM,
	// LATER, HALT, UNSCHEDULE).
	Service *flows.Service
	// PlatformFee (NUDGES_PLATFORM_FEE) is the percent of a paid list's
	// payments the service keeps, shown beside the month's revenue.
	PlatformFee float64
	// WebhookAllow (NUDGES_WEBHOOK_ALLOW) are the non-public addresses a
	// client's webhook endpoints may resolve to.
	WebhookAllow []netip.Prefix
}

// Dashboard serves the /app pages.
type Dashboard struct {
	cfg  Config
	db   *store.DB
	kit  *webkit.Kit
	nav  []navItem // the menu: the pages that exist
	jobs *webkit.Imports
}

// New checks cfg and parses the embedded templates.
func New(cfg Config, db *store.DB) (*Dashboard, error) {
	if cfg.Web.Clock == nil {
		cfg.Web.Clock = bot.SystemClock{}
	}
	if cfg.Web.DefaultLocale == "" {
		cfg.Web.DefaultLocale = bot.English
	}
	if cfg.Number == nil || cfg.Settings.Welcome == nil || cfg.Settings.Replies == nil || cfg.Settings.Language == nil {
		return nil, errors.New("app: Number and Settings are required")
	}
	if cfg.Service == nil {
		return nil, errors.New("app: Service is required")
	}
	d := &Dashboard{cfg: cfg, db: db}
	kit, err := webkit.New(audience(), cfg.Web, db, templateFS, map[string]any{"stateNote": stateNote, "threadArgs": threadArgs})
	if err != nil {
		return nil, fmt.Errorf("app: %w", err)
	}
	d.kit = kit
	d.jobs = &webkit.Imports{DB: db, Clock: cfg.Web.Clock, Log: d.log().With("ui", "dashboard")}
	return d, nil
}

// page is a dashboard handler: it gets the signed-in client, and no other.
type page func(ec echo.Context, c *bot.Client) error

// route is one dashboard page or form. Every route is behind the session
// and CSRF checks, and its handler sees only the session's client.
type route struct {
	Method, Path string // Path under /app
	Handle       page
	// States lists the client states in which a form may be used; nil:
	// any. A client in another state gets a refusal that says why.
	States []bot.ClientStatus
	// Upload marks a file upload: its CSRF token travels in the query and
	// its body may pass the 64 KiB limit, up to maxUploadBody.
	Upload bool
}

// routes are the dashboard's pages and forms. To add a page, add its
// handler in a file of its own and a line here, and a row to the wall
// table (wall_test.go); the menu shows a page once its GET route exists.
func (d *Dashboard) routes() []route {
	rs := []route{
		{Method: http.MethodGet, Path: "/", Handle: d.overview},
		{Method: http.MethodGet, Path: "/qr.svg", Handle: d.qrSVG},
		{Method: http.MethodGet, Path: "/qr.png", Handle: d.qrPNG},
		{Method: http.MethodGet, Path: "/number", Handle: d.number},
		{Method: http.MethodPost, Path: "/number", Handle: d.numberRegister},
		{Method: http.MethodGet, Path: "/billing", Handle: d.billing},
		{Method: http.MethodPost, Path: "/billing/link", Handle: d.billingLink},
		{Method: http.MethodGet, Path: "/settings", Handle: d.settings},
		{Method: http.MethodPost, Path: "/settings/welcome", Handle: d.settingsWelcome},
		{Method: http.MethodPost, Path: "/settings/replies", Handle: d.settingsReplies},
		{Method: http.MethodPost, Path: "/settings/language", Handle: d.settingsLanguage},
		{Method: http.MethodGet, Path: "/announcements", Handle: d.announcements},
		{Method: http.MethodGet, Path: "/announcements/new", Handle: d.compose},
		{Method: http.MethodPost, Path: "/announcements/preview", Handle: d.preview, States: sendStates},
		{Method: http.MethodPost, Path: "/announcements/send", Handle: d.send, States: sendStates},
		{Method: http.MethodGet, Path: "/announcements/:id", Handle: d.announcement},
		{Method: http.MethodPost, Path: "/announcements/:id/halt", Handle: d.halt, States: sendStates},
		{Method: http.MethodPost, Path: "/announcements/:id/cancel", Handle: d.cancel, States: sendStates},
		{Method: http.MethodGet, Path: "/settings/keys", Handle: d.keysPage},
		{Method: http.MethodPost, Path: "/settings/keys", Handle: d.keyCreate, States: mayCreate},
		{Method: http.MethodPost, Path: "/settings/keys/:id/revoke", Handle: d.keyRevoke},
		{Method: http.MethodGet, Path: "/settings/webhooks", Handle: d.hooksPage},
		{Method: http.MethodPost, Path: "/settings/webhooks", Handle: d.hookCreate, States: mayCreate},
		{Method: http.MethodGet, Path: "/settings/webhooks/:id", Handle: d.hookPage},
		{Method: http.MethodPost, Path: "/settings/webhooks/:id/test", Handle: d.hookTest, States: mayCreate},
		{Method: http.MethodPost, Path: "/settings/webhooks/:id/disable", Handle: d.hookDisable},
		{Method: http.MethodPost, Path: "/settings/webhooks/:id/enable", Handle: d.hookEnable, States: mayCreate},
		{Method: http.MethodPost, Path: "/settings/webhooks/:id/delete", Handle: d.hookDelete},
		{Method: http.MethodGet, Path: "/subscribers", Handle: d.subscribers},
		{Method: http.MethodGet, Path: "/subscribers.csv", Handle: d.subscribersCSV},
		{Method: http.MethodGet, Path: "/subscribers/import", Handle: d.importPage},
		{Method: http.MethodPost, Path: "/subscribers/import", Handle: d.importUpload, States: mayImport, Upload: true},
		{Method: http.MethodGet, Path: "/subscribers/import/:id", Handle: d.importStatus},
	}
	if d.cfg.Service != nil {
		rs = append(rs, d.replyRoutes()...)
	}
	return rs
}

// Register mounts the dashboard under /app. Per-address limits read the
// address with e.IPExtractor (main sets it from NUDGES_TRUSTED_PROXIES).
func (d *Dashboard) Register(e *echo.Echo) {
	g := d.kit.Group(e)
	csrf, auth := d.kit.CSRF(), d.kit.RequireSession
	g.GET("/login/:token", d.linkPage, csrf)
	g.POST("/login/:token", d.linkLogin, d.kit.LoginLimiter(), csrf)
	g.GET("", func(ec echo.Context) error { return ec.Redirect(http.StatusSeeOther, "/app/") })
	routes := d.routes()
	for _, r := range routes {
		if r.Upload {
			g.Add(r.Method, r.Path, d.wrap(r), middleware.BodyLimit(maxUploadBody), auth, d.kit.CSRFUpload())
			continue
		}
		g.Add(r.Method, r.Path, d.wrap(r), auth, csrf)
	}
	d.nav = menu(routes)
}

// wrap loads the session's client for r's handler and refuses a form the
// client's state does not allow.
func (d *Dashboard) wrap(r route) echo.HandlerFunc {
	return func(ec echo.Context) error {
		c, err := d.client(webkit.Who(ec))
		if err != nil {
			return d.kit.Internal(ec, "load client", err)
		}
		if !c.MaySignIn() {
			return ec.Redirect(http.StatusSeeOther, "/app/login")
		}
		if r.Method != http.MethodGet && r.States != nil && !slices.Contains(r.States, c.Status) {
			return d.kit.Fail(ec, http.StatusForbidden, refusal(c.Status))
		}
		return r.Handle(ec, c)
	}
}

// refusal says why a client in status st cannot do what a form asks.
func refusal(st bot.ClientStatus) string {
	switch st {
	case bot.ClientSuspended:
		return "Your list is suspended, so this cannot be done now. Your pages stay open to read; contact support to resume."
	case bot.ClientCanceled:
		return "Your plan is canceled, so this cannot be done now. Your pages stay open to read; Billing shows how to pay again."
	case bot.ClientPastDue:
		return "Your last payment did not go through, so this cannot be done now. Billing shows how to pay."
	}
	return "This cannot be done while your plan is " + string(st) + "."
}

// stateNote is the line every page shows a client that is not active.
func stateNote(st bot.ClientStatus) string {
	switch st {
	case bot.ClientSuspended:
		return "Your list is suspended: you can read everything here, and sending is paused."
	case bot.ClientCanceled:
		return "Your plan is canceled: you can read everything here. Billing shows how to pay again."
	case bot.ClientPastDue:
		return "Your last payment did not go through. Billing shows how to pay."
	}
	return "Your plan is " + string(st) + "."
}

// log is where the dashboard logs.
func (d *Dashboard) log() *slog.Logger {
	if d.cfg.Web.Log != nil {
		return d.cfg.Web.Log
	}
	return slog.Default()
}

// client reads the client p.
func (d *Dashboard) client(p bot.Phone) (*bot.Client, error) {
	var c *bot.Client
	err := d.db.Read(func(tx *store.Tx) error {
		var err error
		c, err = tx.Client(p)
		return err
	})
	return c, err
}

// render shows page for client c inside the layout with its menu.
func (d *Dashboard) render(ec echo.Context, c *bot.Client, page, title string, data any) error {
	return d.renderStatus(ec, c, http.StatusOK, page, title, data)
}

// renderStatus is render with another status (a form shown again).
func (d *Dashboard) renderStatus(ec echo.Context, c *bot.Client, status int, page, title string, data any) error {
	return d.renderError(ec, c, status, page, title, data, "")
}

// renderError is renderStatus with an error line above the page.
func (d *Dashboard) renderError(ec echo.Context, c *bot.Client, status int, page, title string, data any, msg string) error {
	v := webkit.View{Title: title, D: data, Layout: layout{Client: c, Nav: d.nav}}
	v.Notice, v.Error = d.kit.TakeFlash(ec)
	if msg != "" {
		v.Error = msg
	}
	return d.kit.Render(ec, status, page, v)
}

// layout is what the layout shows around every signed-in page.
type layout struct {
	Client *bot.Client
	Nav    []navItem
}
