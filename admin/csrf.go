package admin

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"

	"github.com/labstack/echo/v4"
)

// The console's CSRF token belongs to the request's session: it is a keyed
// hash of the session cookie's secret token, so a token is good only with
// the cookie it was made for. Before sign-in (the login and code forms)
// there is no session, and the token is bound the same way to a random
// pre-session cookie. An attacker who holds a pair of their own (a cookie
// and its token) cannot use it with anyone else's session, which the
// double-submit check that compared the form with a cookie allowed.

// csrfLabel separates this use of the session secret from any other.
const csrfLabel = "nudges console csrf v1"

// csrfToken is the token for the secret in a session or pre-session cookie.
func csrfToken(secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(csrfLabel))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// csrf makes the request's token available to pages (ec.Get("csrf")) and
// refuses any unsafe request whose form field _csrf is not that token.
func (c *Console) csrf() echo.MiddlewareFunc {
	return c.csrfFrom(func(ec echo.Context) string { return ec.FormValue("_csrf") })
}

// csrfQuery is csrf with the token in the query string: for a file upload,
// whose body must not be parsed before the handler streams it.
func (c *Console) csrfQuery() echo.MiddlewareFunc {
	return c.csrfFrom(func(ec echo.Context) string { return ec.QueryParam("_csrf") })
}

func (c *Console) csrfFrom(token func(echo.Context) string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(ec echo.Context) error {
			secret, err := c.csrfSecret(ec)
			if err != nil {
				return c.internal(ec, "csrf cookie", err)
			}
			want := csrfToken(secret)
			switch ec.Request().Method {
			case http.MethodGet, http.MethodHead, http.MethodOptions:
			default:
				if !hmac.Equal([]byte(token(ec)), []byte(want)) {
					return c.fail(ec, http.StatusForbidden, "This form has expired or did not come from the console. Go back, reload the page and try again.")
				}
			}
			ec.Set("csrf", want)
			return next(ec)
		}
	}
}

// csrfSecret is what the token is bound to: the session cookie when the
// request has one, else the pre-session cookie, made now if missing.
func (c *Console) csrfSecret(ec echo.Context) (string, error) {
	if ck, err := ec.Cookie(sessionCookie); err == nil && ck.Value != "" {
		return "session:" + ck.Value, nil
	}
	if ck, err := ec.Cookie(csrfCookie); err == nil && len(ck.Value) >= 32 {
		return "pre:" + ck.Value, nil
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	v := base64.RawURLEncoding.EncodeToString(raw)
	ec.SetCookie(&http.Cookie{
		Name: csrfCookie, Value: v, Path: "/admin", MaxAge: int(sessionTTL.Seconds()),
		HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode,
	})
	return "pre:" + v, nil
}
