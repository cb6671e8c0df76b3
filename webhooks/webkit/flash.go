package webkit

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// A flash carries the one-line result of an action to the page it
// redirects to. It is a cookie, not a query parameter, so that a link
// cannot make a page show words of the link-maker's choosing.

// RedirectFlash goes to path, which shows msg once: as a notice, or as an
// error when failed.
func (k *Kit) RedirectFlash(ec echo.Context, path, msg string, failed bool) error {
	kind := "notice"
	if failed {
		kind = "error"
	}
	k.setCookie(ec, "flash", kind+":"+url.QueryEscape(msg), time.Time{}, 60)
	return ec.Redirect(http.StatusSeeOther, path)
}

// TakeFlash returns the message RedirectFlash left, and clears it.
func (k *Kit) TakeFlash(ec echo.Context) (notice, failure string) {
	ck, err := ec.Cookie(k.cookie("flash"))
	if err != nil || ck.Value == "" {
		return "", ""
	}
	k.setCookie(ec, "flash", "", time.Time{}, -1)
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
