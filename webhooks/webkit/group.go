package webkit

import (
	"io/fs"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// Group mounts the audience's group at its base with the shared middleware
// (HTML errors, recovery, request id, 64 KiB bodies, security headers,
// no-store) and its shared routes: the stylesheet, login, code check and
// logout. The caller adds its pages with RequireSession and CSRF.
func (k *Kit) Group(e *echo.Echo) *echo.Group {
	g := e.Group(k.aud.Base,
		k.HTMLErrors,
		Recover(),
		middleware.RequestID(),
		middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: "64K", Skipper: k.aud.BigBody}),
		middleware.SecureWithConfig(k.secureConfig()),
		NoStore,
	)
	csrf := k.CSRF()
	limit := k.LoginLimiter()
	g.GET("/static/*", k.static())
	g.GET("/login", k.LoginPage, csrf)
	g.POST("/login", k.Login, limit, csrf)
	g.POST("/verify", k.Verify, limit, csrf)
	g.POST("/logout", k.Logout, k.RequireSession, csrf)
	return g
}

func (k *Kit) secureConfig() middleware.SecureConfig {
	cfg := middleware.SecureConfig{
		ContentTypeNosniff: "nosniff",
		XFrameOptions:      "DENY",
		ReferrerPolicy:     "same-origin",
		ContentSecurityPolicy: "default-src 'none'; style-src 'self'; img-src 'self' data:; " +
			"form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
	}
	if k.secure {
		cfg.HSTSMaxAge = 31536000
	}
	return cfg
}

// NoStore keeps pages out of shared and browser caches.
func NoStore(next echo.HandlerFunc) echo.HandlerFunc {
	return func(ec echo.Context) error {
		ec.Response().Header().Set("Cache-Control", "no-store")
		return next(ec)
	}
}

// LoginLimiter is the in-memory per-address limiter in front of the login
// forms (Config.LoginRate, LoginBurst).
func (k *Kit) LoginLimiter() echo.MiddlewareFunc {
	return middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
		Store: middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
			Rate: k.cfg.LoginRate, Burst: k.cfg.LoginBurst,
		}),
		IdentifierExtractor: func(ec echo.Context) (string, error) { return ec.RealIP(), nil },
		DenyHandler: func(ec echo.Context, _ string, _ error) error {
			return k.Fail(ec, http.StatusTooManyRequests, "Too many attempts from your network. Wait a minute and try again.")
		},
		ErrorHandler: func(ec echo.Context, _ error) error {
			return k.Fail(ec, http.StatusForbidden, "Your address could not be read.")
		},
	})
}

// static serves the shared stylesheet under Base/static/.
func (k *Kit) static() echo.HandlerFunc {
	sub, err := fs.Sub(StaticFS, "static")
	if err != nil {
		panic(err) // embedded at build time
	}
	fileServer := http.StripPrefix(k.aud.Base+"/static/", http.FileServer(http.FS(sub)))
	return func(ec echo.Context) error {
		ec.Response().Header().Set("Cache-Control", "public, max-age=3600")
		fileServer.ServeHTTP(ec.Response(), ec.Request())
		return nil
	}
}
