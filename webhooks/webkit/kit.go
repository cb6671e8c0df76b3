// Package webkit is the one web plumbing both web UIs share: the operator
// console under /admin and the client dashboard under /app. It holds the
// session cookie and session rows, login by a code texted to the phone
// (issue, check, per-phone and per-address limits, lockout), CSRF tokens
// bound to the session, template rendering with a layout, flash messages,
// HTML error pages, panic recovery, security headers, no-store and the
// shared stylesheet. Each UI is an Audience: its own cookies, store keys,
// limits counters, login path and rule for who may sign in, so a session or
// a code of one never opens the other.
package webkit

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"nudges/bot"
	"nudges/store"
)

// SessionTTL is how long a session lasts (SPEC §7: 12 hours).
const SessionTTL = 12 * time.Hour

// CodeSource makes one 6-digit login code; tests inject a fixed one.
type CodeSource func() (string, error)

// Limits are an audience's login limits, counted in the store under its
// own scope. Codes are counted per requesting address (each address has
// its own code for a phone: bot.DefaultOTPPolicy, 5 an hour), so other
// addresses can never use up or replace a user's. A phone's cap bounds the
// SMS one phone gets however many addresses ask; an address the user
// signed in from within KnownFor is past that cap.
type Limits struct {
	IPCodesPerHour, IPChecksPerHour, PhoneCodesPerHour int
	KnownFor                                           time.Duration
}

// DefaultLimits are the console's limits, the dashboard's too.
var DefaultLimits = Limits{IPCodesPerHour: 20, IPChecksPerHour: 40, PhoneCodesPerHour: 20, KnownFor: 90 * 24 * time.Hour}

// Audience is what makes one web UI's plumbing its own.
type Audience struct {
	Name   string // "console", "dashboard": in page texts and logs
	Base   string // "/admin", "/app": cookie path; login at Base+"/login", home Base+"/"
	Cookie string // cookie name prefix: "nudges" gives nudges_session, nudges_csrf, nudges_flash
	// Scope prefixes this audience's session rows, OTP records and limit
	// counters in the store ("" for the console, as they always were).
	Scope  string
	Limits Limits
	// May reports whether p may sign in; it is asked when a code is
	// requested and checked, and on every request of a session.
	May func(tx *store.Tx, p bot.Phone) (bool, error)
	// SentNotice is the answer to a code request outside dev mode: the
	// same whoever asked, so the form does not tell who may sign in.
	SentNotice string
	// DevHint (login page) and DevCodeNotice (after a request) say in dev
	// mode where the code went; nil says nothing.
	DevHint       func() string
	DevCodeNotice func(p bot.Phone, may bool) string
	// Refuse401 answers a non-GET request without a session with 401
	// instead of a redirect to the login page.
	Refuse401 bool
	// CodeMessage is the message id of the code's SMS ("OTPCode" if empty).
	CodeMessage string
	// BigBody lets a request past the 64 KiB body limit (an upload).
	BigBody func(echo.Context) bool
}

// Config is what a kit needs from main, shared by both audiences.
type Config struct {
	PublicURL     string // https makes cookies Secure and turns on HSTS
	DevMode       bool   // no Twilio: login codes are logged too
	DefaultLocale string // language of the code SMS for a phone never heard from
	Clock         bot.Clock
	T             bot.Translator
	Kick          func()     // wakes the outbox dispatcher after a code is queued
	Codes         CodeSource // nil: crypto/rand
	Log           *slog.Logger
	// LoginRate and LoginBurst shape the in-memory per-IP limiter in front
	// of the login forms (defaults 1 request every 2 s, bursts of 20).
	LoginRate  rate.Limit
	LoginBurst int
}

// Kit is one audience's plumbing.
type Kit struct {
	aud    Audience
	cfg    Config
	db     *store.DB
	secure bool
	policy bot.OTPPolicy
	pages  pages
	log    *slog.Logger
}

// New checks its arguments and parses the audience's templates:
// templates/layout.html (defining "layout") and one file per page in
// templates/, each defining "content", with the shared funcs and extra.
func New(aud Audience, cfg Config, db *store.DB, templates fs.FS, extra map[string]any) (*Kit, error) {
	if db == nil || cfg.T == nil || aud.May == nil || aud.Base == "" || aud.Cookie == "" {
		return nil, errors.New("webkit: database, translator, base, cookie and May are required")
	}
	if cfg.Clock == nil {
		cfg.Clock = bot.SystemClock{}
	}
	if cfg.Codes == nil {
		cfg.Codes = RandomCode
	}
	if cfg.DefaultLocale == "" {
		cfg.DefaultLocale = bot.English
	}
	if cfg.LoginRate == 0 {
		cfg.LoginRate = 0.5
	}
	if cfg.LoginBurst == 0 {
		cfg.LoginBurst = 20
	}
	if aud.CodeMessage == "" {
		aud.CodeMessage = "OTPCode"
	}
	if aud.Limits == (Limits{}) {
		aud.Limits = DefaultLimits
	}
	k := &Kit{aud: aud, cfg: cfg, db: db, policy: bot.DefaultOTPPolicy, log: cfg.Log}
	if k.log == nil {
		k.log = slog.Default()
	}
	k.secure = strings.HasPrefix(strings.ToLower(cfg.PublicURL), "https://")
	var err error
	if k.pages, err = parsePages(templates, aud.Base, extra); err != nil {
		return nil, fmt.Errorf("%s templates: %w", aud.Name, err)
	}
	return k, nil
}

// Log is the kit's logger.
func (k *Kit) Log() *slog.Logger { return k.log }

// cookie names this audience's cookie of kind (session, csrf, flash).
func (k *Kit) cookie(kind string) string { return k.aud.Cookie + "_" + kind }

// setCookie sets an HttpOnly, SameSite=Lax cookie scoped to the base path.
func (k *Kit) setCookie(ec echo.Context, kind, value string, expires time.Time, maxAge int) {
	ec.SetCookie(&http.Cookie{
		Name: k.cookie(kind), Value: value, Path: k.aud.Base, Expires: expires, MaxAge: maxAge,
		HttpOnly: true, Secure: k.secure, SameSite: http.SameSiteLaxMode,
	})
}
