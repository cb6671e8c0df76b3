// Package admin is the operator's web console under /admin: SMS one-time-code
// login, dashboard, plans, clients, subscribers, announcements, a simulator
// and backups, as server-rendered pages that need no JavaScript.
package admin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"nudges/bot"
	"nudges/store"
	"nudges/webhooks/web"
	"nudges/webhooks/webkit"
)

// PlanSyncer mirrors a plan to the payment provider (Stripe products and
// prices). SyncPlan may set p's provider ids; the console saves them.
type PlanSyncer interface {
	SyncPlan(ctx context.Context, p *bot.Plan) error
}

// CodeSource makes one 6-digit login code; tests inject a fixed one.
type CodeSource = webkit.CodeSource

// Config is what the console needs from main.
type Config struct {
	AdminPhones   []bot.Phone // NUDGES_ADMIN_PHONES
	PublicURL     string      // NUDGES_PUBLIC_URL; https makes cookies Secure
	DevMode       bool        // no Twilio: login codes are logged too
	DefaultLocale string      // language of the code SMS for a phone never heard from
	Clock         bot.Clock   // nil: the system clock
	T             bot.Translator
	Handler       bot.Handler    // the Engine, for the simulator
	Kick          func()         // wakes the outbox dispatcher after a code is queued
	Plans         PlanSyncer     // nil when Stripe is not configured
	Discounts     DiscountSyncer // nil when Stripe is not configured
	Codes         CodeSource     // nil: crypto/rand
	// KeywordClash names the opt-out, opt-in or help word a keyword is too
	// close to (flows.SquatWord), "" when none; the clients page warns of
	// such keywords. Nil: no check.
	KeywordClash func(keyword string) string
	Log          *slog.Logger
	// Numbers assigns and releases clients' own numbers at the provider
	// (nil with the console driver: those two actions need Twilio).
	Numbers NumberOps
	// NumberKick wakes the own-number worker after a retry.
	NumberKick func()
	// NumberReady makes a client's number carry its messages and tells the
	// client (inside tx); nil only sets the state.
	NumberReady func(tx bot.Tx, c *bot.Client, now time.Time) error
	// LocalRate and TollFreeRate are the kinds' default segments a second
	// (NUDGES_LOCAL_RATE, NUDGES_TOLLFREE_RATE), shown for numbers without
	// a rate of their own.
	LocalRate, TollFreeRate float64
	// LoginRate and LoginBurst shape the in-memory per-IP limiter in front of
	// the login forms (defaults 1 request every 2 s, bursts of 20).
	LoginRate  rate.Limit
	LoginBurst int
	// WebhookAllow (NUDGES_WEBHOOK_ALLOW) are the non-public addresses
	// webhook endpoints may resolve to.
	WebhookAllow []netip.Prefix
}

// The console's login limits (webkit.Limits): codes per requesting
// address, checks per address, codes per phone, and how long an address
// the admin signed in from stays past the phone's cap.
const (
	ipCodesPerHour    = 20
	ipChecksPerHour   = 40
	phoneCodesPerHour = 20
	knownFor          = 90 * 24 * time.Hour
)

// The console's cookies: its session, the pre-session CSRF secret, and
// the flash (webkit names them from the prefix).
const (
	cookiePrefix  = "nudges"
	sessionCookie = cookiePrefix + "_session"
	csrfCookie    = cookiePrefix + "_csrf"
)

// Console serves the /admin pages.
type Console struct {
	cfg    Config
	db     *store.DB
	admins map[bot.Phone]bool
	kit    *webkit.Kit
	log    *slog.Logger
	jobs   *webkit.Imports
}

// New checks cfg and parses the embedded templates.
func New(cfg Config, db *store.DB) (*Console, error) {
	if db == nil || cfg.T == nil || cfg.Handler == nil {
		return nil, errors.New("admin: database, translator and handler are required")
	}
	if cfg.Clock == nil {
		cfg.Clock = bot.SystemClock{}
	}
	c := &Console{cfg: cfg, db: db, admins: map[bot.Phone]bool{}, log: cfg.Log}
	if c.log == nil {
		c.log = slog.Default()
	}
	for _, p := range cfg.AdminPhones {
		c.admins[p] = true
	}
	kit, err := webkit.New(c.audience(), webkit.Config{
		PublicURL: cfg.PublicURL, DevMode: cfg.DevMode, DefaultLocale: cfg.DefaultLocale, Clock: cfg.Clock,
		T: cfg.T, Kick: cfg.Kick, Codes: cfg.Codes, Log: c.log, LoginRate: cfg.LoginRate, LoginBurst: cfg.LoginBurst,
	}, db, templateFS, funcs(cfg.T))
	if err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	c.kit = kit
	c.jobs = &webkit.Imports{DB: db, Clock: cfg.Clock, Log: c.log.With("ui", "console")}
	return c, nil
}

// Register mounts the console under /admin. The per-IP login limits read
// addresses with e.IPExtractor; when main has not chosen one, it is
// web.ClientIP with no trusted proxy (echo's default believes any header).
func (c *Console) Register(e *echo.Echo) {
	if e.IPExtractor == nil {
		e.IPExtractor = web.ClientIP(nil)
	}
	g := c.kit.Group(e)
	csrf := c.kit.CSRF()
	auth := c.kit.RequireSession
	g.GET("", c.dashboard, csrf, auth)
	g.GET("/", c.dashboard, csrf, auth)
	g.GET("/plans", c.plansPage, csrf, auth)
	g.GET("/plans/new", c.planNew, csrf, auth)
	g.POST("/plans", c.planCreate, csrf, auth)
	g.GET("/plans/:id", c.planEdit, csrf, auth)
	g.POST("/plans/:id", c.planUpdate, csrf, auth)
	g.POST("/plans/:id/archive", c.planArchive, csrf, auth)
	g.GET("/webhooks", c.hooksPage, csrf, auth)
	g.POST("/webhooks", c.hookCreate, csrf, auth)
	g.POST("/webhooks/:id/delete", c.hookDelete, csrf, auth)
	g.POST("/webhooks/:id/test", c.hookTest, csrf, auth)
	g.GET("/codes", c.codesPage, csrf, auth)
	g.GET("/codes/new", c.codeNew, csrf, auth)
	g.POST("/codes", c.codeCreate, csrf, auth)
	g.POST("/codes/:code/archive", c.codeArchive, csrf, auth)
	g.GET("/clients", c.clientsPage, csrf, auth)
	g.POST("/clients/suspend", c.clientSuspend, csrf, auth)
	g.POST("/clients/resume", c.clientResume, csrf, auth)
	g.GET("/clients/:phone", c.clientPage, csrf, auth)
	g.POST("/clients/:phone/number/:action", c.numberAction, csrf, auth)
	g.GET("/subscribers", c.subscribersPage, csrf, auth)
	g.GET("/subscribers/:phone", c.subscriberPage, csrf, auth)
	g.POST("/subscribers/:phone/erase", c.subscriberErase, csrf, auth)
	c.registerData(e, g, auth)
	g.GET("/announcements", c.announcementsPage, csrf, auth)
	g.GET("/simulator", c.simulatorPage, csrf, auth)
	g.POST("/simulator", c.simulate, csrf, auth)
	g.GET("/backup", c.backup, auth)
	g.GET("/keys", c.keysPage, csrf, auth)
	g.POST("/keys", c.keyCreate, csrf, auth)
	g.POST("/keys/revoke", c.keyRevoke, csrf, auth)
}
