// Package api is the JSON HTTP API under /api/v1/: bearer API keys, a
// per-key rate, idempotent POSTs and RFC 9457 problems. It decodes a
// request, calls the same bot operations the console and the SMS turn
// call, and encodes their answer.
package api

import (
	_ "embed"
	"math"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/time/rate"

	"nudges/bot"
	"nudges/flows"
)

// Prefix is where the API lives.
const Prefix = "/api/v1/"

// The per-key rate: 10 requests a second, in bursts of up to 50.
const (
	Rate  = 10
	Burst = 50
)

// BodyLimit bounds a request body.
const BodyLimit = "64K"

//go:embed openapi.json
var openAPI []byte

// OpenAPI is the API's OpenAPI 3.1 document, as served at
// /api/v1/openapi.json.
func OpenAPI() []byte { return openAPI }

// Config is what the API needs.
type Config struct {
	Store bot.Store
	Clock bot.Clock // nil: the system clock
	// Service runs announcements and reply threads; nil leaves those
	// resources out.
	Service *flows.Service
}

// API serves /api/v1/.
type API struct {
	st       bot.Store
	clock    bot.Clock
	svc      *flows.Service
	mu       sync.Mutex
	limits   map[string]*rate.Limiter // by key id
	inflight map[string]bool          // key id \0 Idempotency-Key of POSTs running
}

// New returns the API on cfg.
func New(cfg Config) *API {
	a := &API{st: cfg.Store, clock: cfg.Clock, svc: cfg.Service, limits: map[string]*rate.Limiter{}, inflight: map[string]bool{}}
	if a.clock == nil {
		a.clock = bot.SystemClock{}
	}
	return a
}

// Register mounts the API on e and makes e answer errors under /api/ as
// problems.
func (a *API) Register(e *echo.Echo) {
	e.HTTPErrorHandler = ErrorHandler(e.HTTPErrorHandler)
	g := e.Group(strings.TrimSuffix(Prefix, "/"), middleware.BodyLimit(BodyLimit))
	g.GET("/openapi.json", func(c echo.Context) error { return c.Blob(http.StatusOK, "application/json", openAPI) })
	keyed := []echo.MiddlewareFunc{a.authenticate, a.limit, a.idempotent}
	g.GET("/subscribers", a.listSubscribers, keyed...)
	g.POST("/subscribers", a.addSubscriber, keyed...)
	g.GET("/subscribers/:phone", a.getSubscriber, keyed...)
	g.DELETE("/subscribers/:phone", a.removeSubscriber, keyed...)
	g.GET("/stats", a.stats, keyed...)
	if a.svc == nil {
		return
	}
	g.POST("/announcements", a.createAnnouncement, keyed...)
	g.GET("/announcements", a.listAnnouncements, keyed...)
	g.GET("/announcements/:id", a.getAnnouncement, keyed...)
	g.POST("/announcements/:id/halt", a.haltAnnouncement, keyed...)
	g.POST("/announcements/:id/cancel", a.cancelAnnouncement, keyed...)
	g.GET("/replies", a.listReplies, keyed...)
	g.POST("/replies/:n", a.answerReply, keyed...)
}

const keyCtx = "api.key"

// keyOf is the request's authenticated key.
func keyOf(c echo.Context) *bot.APIKey { return c.Get(keyCtx).(*bot.APIKey) }

// authenticate lets through requests that carry a live key as a bearer token.
func (a *API) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		token, ok := strings.CutPrefix(c.Request().Header.Get("Authorization"), "Bearer ")
		if !ok || token == "" {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="nudges"`)
			return problem(c, http.StatusUnauthorized, KindUnauthorized, "Send an API key: Authorization: Bearer nk_….")
		}
		k, err := bot.Authenticate(a.st, a.clock.Now(), strings.TrimSpace(token))
		if err != nil {
			return fail(c, err)
		}
		if k == nil {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="nudges", error="invalid_token"`)
			return problem(c, http.StatusUnauthorized, KindUnauthorized, "This API key is unknown or revoked.")
		}
		c.Set(keyCtx, k)
		return next(c)
	}
}

// limit holds each key to Rate requests a second with bursts of Burst,
// answering 429 with Retry-After past it.
func (a *API) limit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, now := keyOf(c).ID, a.clock.Now()
		a.mu.Lock()
		l := a.limits[id]
		if l == nil {
			l = rate.NewLimiter(Rate, Burst)
			a.limits[id] = l
		}
		r := l.ReserveN(now, 1)
		wait := r.DelayFrom(now)
		if wait > 0 {
			r.CancelAt(now)
		}
		a.mu.Unlock()
		if wait > 0 {
			retryAfter(c, int(math.Ceil(wait.Seconds())))
			return problem(c, http.StatusTooManyRequests, KindRateLimited,
				"More than 10 requests a second with this key; wait as Retry-After says.")
		}
		return next(c)
	}
}

// utc is t as the API writes times: RFC 3339 in UTC, to the second.
func utc(t time.Time) string { return t.UTC().Truncate(time.Second).Format(time.RFC3339) }
