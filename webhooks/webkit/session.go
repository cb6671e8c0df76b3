package webkit

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"nudges/bot"
	"nudges/store"
)

// whoKey is where RequireSession leaves the signed-in phone.
const whoKey = "webkit_phone"

// TokenHash is how a session token is stored: the token has 256 random
// bits, so a plain hash keeps a stolen database from yielding live cookies.
func TokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// sessionKey is the store key of token's session in this audience: a
// token of one audience names no session of the other.
func (k *Kit) sessionKey(token string) string { return k.aud.Scope + TokenHash(token) }

// Who is the phone signed in on this request (set by RequireSession), or "".
func Who(ec echo.Context) bot.Phone {
	p, _ := ec.Get(whoKey).(bot.Phone)
	return p
}

// StartSession stores a new session for p inside tx and returns its
// cookie token; SetSessionCookie gives it to the browser after commit.
func (k *Kit) StartSession(tx *store.Tx, p bot.Phone, now time.Time) (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("session token: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	if _, err := tx.PruneSessions(now); err != nil {
		return "", err
	}
	s := store.Session{Phone: p, CreatedAt: now, ExpiresAt: now.Add(SessionTTL)}
	if err := tx.PutSession(k.sessionKey(token), s); err != nil {
		return "", fmt.Errorf("save session: %w", err)
	}
	return token, nil
}

// SetSessionCookie sets the session cookie (token "" clears it) and drops
// the CSRF cookie: the next page makes a token bound to the new session.
func (k *Kit) SetSessionCookie(ec echo.Context, token string, expires time.Time) {
	maxAge := int(SessionTTL / time.Second)
	if token == "" {
		maxAge = -1
	}
	k.setCookie(ec, "session", token, expires, maxAge)
	k.setCookie(ec, "csrf", "", time.Time{}, -1)
}

// SessionPhone returns the phone signed in by the request's cookie, or ""
// when there is none, it expired, or the phone may no longer sign in.
func (k *Kit) SessionPhone(ec echo.Context) bot.Phone {
	ck, err := ec.Cookie(k.cookie("session"))
	if err != nil || ck.Value == "" {
		return ""
	}
	var p bot.Phone
	err = k.db.Read(func(tx *store.Tx) error {
		s, err := tx.Session(k.sessionKey(ck.Value))
		if err != nil || s == nil || !k.cfg.Clock.Now().Before(s.ExpiresAt) {
			return err
		}
		may, err := k.aud.May(tx, s.Phone)
		if may {
			p = s.Phone
		}
		return err
	})
	if err != nil {
		k.log.Error(k.aud.Name+": load session", "err", err)
		return ""
	}
	return p
}

// RequireSession lets signed-in users through (Who names them) and sends
// others to the login page; a non-GET without a session gets 401.
func (k *Kit) RequireSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(ec echo.Context) error {
		p := k.SessionPhone(ec)
		if p == "" {
			if k.aud.Refuse401 && !safeMethod(ec.Request().Method) {
				return k.Fail(ec, http.StatusUnauthorized, "You are signed out. Sign in again and repeat what you did.")
			}
			return ec.Redirect(http.StatusSeeOther, k.aud.Base+"/login")
		}
		ec.Set(whoKey, p)
		return next(ec)
	}
}

// Logout ends the session server-side and clears its cookie.
func (k *Kit) Logout(ec echo.Context) error {
	if ck, err := ec.Cookie(k.cookie("session")); err == nil {
		err := k.db.Write(func(tx *store.Tx) error { return tx.DeleteSession(k.sessionKey(ck.Value)) })
		if err != nil {
			return k.Internal(ec, "end session", err)
		}
	}
	k.SetSessionCookie(ec, "", time.Unix(0, 0))
	return ec.Redirect(http.StatusSeeOther, k.aud.Base+"/login")
}
