package webkit

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// A CSRF token belongs to the request's session: it is a keyed hash of the
// session cookie's secret token, so a token is good only with the cookie it
// was made for. Before sign-in (the login and code forms) there is no
// session, and the token is bound the same way to a random pre-session
// cookie. An attacker who holds a pair of their own (a cookie and its
// token) cannot use it with anyone else's session. The label differs per
// audience, so a console token never passes in the dashboard.

// csrfToken is the token for the secret in a session or pre-session cookie.
func (k *Kit) csrfToken(secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("nudges " + k.aud.Name + " csrf v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// CSRF makes the request's token available to pages (View.CSRF) and
// refuses any unsafe request whose form field _csrf is not that token.
func (k *Kit) CSRF() echo.MiddlewareFunc {
	return k.csrfFrom(func(ec echo.Context) string { return ec.FormValue("_csrf") })
}

// CSRFQuery is CSRF with the token in the query string: for a file upload,
// whose body must not be parsed before the handler streams it.
func (k *Kit) CSRFQuery() echo.MiddlewareFunc {
	return k.csrfFrom(func(ec echo.Context) string { return ec.QueryParam("_csrf") })
}

// CSRFUpload is CSRFQuery for a file upload form that may also be sent
// as a plain form: the query's token, or, when the body is not multipart,
// the form field's. A multipart body is never parsed here.
func (k *Kit) CSRFUpload() echo.MiddlewareFunc {
	return k.csrfFrom(func(ec echo.Context) string {
		if t := ec.QueryParam("_csrf"); t != "" {
			return t
		}
		if strings.HasPrefix(ec.Request().Header.Get(echo.HeaderContentType), "multipart/") {
			return ""
		}
		return ec.FormValue("_csrf")
	})
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

func (k *Kit) csrfFrom(token func(echo.Context) string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(ec echo.Context) error {
			secret, err := k.csrfSecret(ec)
			if err != nil {
				return k.Internal(ec, "csrf cookie", err)
			}
			want := k.csrfToken(secret)
			if !safeMethod(ec.Request().Method) && !hmac.Equal([]byte(token(ec)), []byte(want)) {
				return k.Fail(ec, http.StatusForbidden, "This form has expired or did not come from the "+k.aud.Name+". Go back, reload the page and try again.")
			}
			ec.Set("csrf", want)
			return next(ec)
		}
	}
}

// csrfSecret is what the token is bound to: the session cookie when the
// request has one, else the pre-session cookie, made now if missing.
func (k *Kit) csrfSecret(ec echo.Context) (string, error) {
	if ck, err := ec.Cookie(k.cookie("session")); err == nil && ck.Value != "" {
		return "session:" + ck.Value, nil
	}
	if ck, err := ec.Cookie(k.cookie("csrf")); err == nil && len(ck.Value) >= 32 {
		return "pre:" + ck.Value, nil
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	v := base64.RawURLEncoding.EncodeToString(raw)
	k.setCookie(ec, "csrf", v, time.Time{}, int(SessionTTL.Seconds()))
	return "pre:" + v, nil
}
