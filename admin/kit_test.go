package admin

import (
	"time"

	"github.com/labstack/echo/v4"

	"nudges/webhooks/webkit"
)

// The console's tests were written before its plumbing moved to webkit;
// these names let them read as they did.

var (
	tokenHash     = webkit.TokenHash
	niceCeil      = webkit.NiceCeil
	formatMoney   = webkit.Money
	recoverPanics = webkit.Recover
	staticFS      = webkit.StaticFS
)

func (c *Console) setSessionCookie(ec echo.Context, token string, expires time.Time) {
	c.kit.SetSessionCookie(ec, token, expires)
}

func (c *Console) htmlErrors(next echo.HandlerFunc) echo.HandlerFunc { return c.kit.HTMLErrors(next) }
