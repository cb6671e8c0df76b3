package admin

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
)

// flashCookie carries the one-line result of an action to the page it
// redirects to. It is a cookie, not a query parameter, so that a link
// cannot make the console show words of the link-maker's choosing.
const flashCookie = "nudges_flash"

// redirectFlash goes to path, which shows msg once: as a notice, or as an
// error when failed.
func (c *Console) redirectFlash(ec echo.Context, path, msg string, failed bool) error {
	kind := "notice"
	if failed {
		kind = "error"
	}
	c.setFlash(ec, kind+":"+url.QueryEscape(msg), 60)
	return ec.Redirect(http.StatusSeeOther, path)
}

// takeFlash returns the message redirectFlash left, and clears it.
func (c *Console) takeFlash(ec echo.Context) (notice, failure string) {
	ck, err := ec.Cookie(flashCookie)
	if err != nil || ck.Value == "" {
		return "", ""
	}
	c.setFlash(ec, "", -1)
	kind, raw, _ := strings.Cut(ck.Value, ":")
	msg, err := url.QueryUnescape(raw)
	if err != nil {
		return "", ""
	}
	if kind == "error" {
		return "", msg
	}
	return msg, ""
}

func (c *Console) setFlash(ec echo.Context, value string, maxAge int) {
	ec.SetCookie(&http.Cookie{
		Name: flashCookie, Value: value, Path: "/admin", MaxAge: maxAge,
		HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode,
	})
}
