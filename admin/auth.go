package admin

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"nudges/bot"
	"nudges/store"
)

const (
	sessionCookie = "nudges_session"
	csrfCookie    = "nudges_csrf"
	sessionTTL    = 12 * time.Hour
	adminKey      = "admin_phone"
)

// randomCode is 6 digits from crypto/rand, uniform over 000000–999999.
func randomCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", fmt.Errorf("random code: %w", err)
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}

// codeHash is the keyed hash a code is stored as; phone binds it to its owner.
func codeHash(secret []byte, p bot.Phone, code string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(p))
	m.Write([]byte{0})
	m.Write([]byte(code))
	return hex.EncodeToString(m.Sum(nil))
}

// tokenHash is how a session token is stored: the token has 256 random bits,
// so a plain hash keeps a stolen database from yielding live cookies.
func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// loginView is the data of the login and code pages.
type loginView struct {
	Phone string
	Left  int // checks left on the current code, 0 when unknown
}

func (c *Console) loginPage(ec echo.Context) error {
	if c.sessionPhone(ec) != "" {
		return ec.Redirect(http.StatusSeeOther, "/admin/")
	}
	return c.renderView(ec, http.StatusOK, "login.html", view{Title: "Sign in", Notice: c.devLoginHint(), D: loginView{}})
}

// devLoginHint is what the login page tells a developer in dev mode (no
// Twilio): where the code goes, or what to set when no phone may log in.
// Outside dev mode it is empty: the page says nothing about who may log in.
func (c *Console) devLoginHint() string {
	switch {
	case !c.cfg.DevMode:
		return ""
	case len(c.admins) == 0:
		return "Dev mode: no admin phone is set, so no login code can be made. Stop the server and start it with " +
			"NUDGES_ADMIN_PHONES=+15550100000 go run . (any phone number), then sign in with that phone."
	}
	return "Dev mode: no SMS is sent; your login code is printed in the server log."
}

// devCodeNotice is the answer to a code request in dev mode: the code is in
// the server log, or the phone is not an admin and what to set.
func (c *Console) devCodeNotice(p bot.Phone) string {
	if c.admins[p] {
		return "Dev mode: your 6-digit code is printed in the server log (not texted). It works for 10 minutes."
	}
	return "Dev mode: " + string(p) + " is not in NUDGES_ADMIN_PHONES, so no code was made. " +
		"Stop the server and start it with NUDGES_ADMIN_PHONES=" + string(p) + " go run . to sign in with it."
}

// login asks for a code. The page that follows is the same whether or not
// the phone may use the console; only admins' codes are texted.
func (c *Console) login(ec echo.Context) error {
	p, err := bot.ParsePhone(ec.FormValue("phone"))
	if err != nil {
		return c.renderView(ec, http.StatusOK, "login.html", view{Title: "Sign in", Error: bot.ErrorMessage(err), D: loginView{Phone: ec.FormValue("phone")}})
	}
	now := c.cfg.Clock.Now()
	var code string
	var reqErr error
	err = c.db.Write(func(tx *store.Tx) error {
		n, err := tx.CountHit("code:"+ec.RealIP(), now, time.Hour)
		if err != nil {
			return err
		}
		if n > ipCodesPerHour {
			reqErr = errIPLimit
			return nil
		}
		code, reqErr, err = c.issue(tx, p, ec.RealIP(), now)
		return err
	})
	if err != nil {
		return c.internal(ec, "issue code", err)
	}
	v := view{Title: "Enter your code", D: loginView{Phone: string(p)}}
	switch {
	case errors.Is(reqErr, errIPLimit):
		v.Error = "Too many codes were asked for from your network. Try again in an hour."
		return c.renderView(ec, http.StatusTooManyRequests, "login.html", view{Title: "Sign in", Error: v.Error, D: loginView{Phone: string(p)}})
	case errors.Is(reqErr, errPhoneCap):
		v.Error = "Too many codes were sent to this phone in the last hour. Try again later."
		return c.renderView(ec, http.StatusTooManyRequests, "login.html", view{Title: "Sign in", Error: v.Error, D: loginView{Phone: string(p)}})
	case errors.Is(reqErr, bot.ErrOTPTooMany):
		v.Error = "Too many codes were asked for this phone from your network in the last hour. Try again later."
		return c.renderView(ec, http.StatusTooManyRequests, "login.html", view{Title: "Sign in", Error: v.Error, D: loginView{Phone: string(p)}})
	case errors.Is(reqErr, bot.ErrOTPWait):
		v.Notice = "A code was sent less than 30 seconds ago. Use it, or wait a little before asking for another."
	case c.cfg.DevMode:
		v.Notice = c.devCodeNotice(p)
	default:
		v.Notice = "If this phone may use the console, a 6-digit code is on its way. It works for 10 minutes."
	}
	if code != "" {
		if c.cfg.Kick != nil {
			c.cfg.Kick()
		}
		if c.cfg.DevMode {
			c.log.Info("console login code (dev mode: SMS not sent through Twilio)", "phone", p, "code", code)
		}
	}
	return c.renderView(ec, http.StatusOK, "verify.html", v)
}

var (
	errIPLimit  = errors.New("per-IP limit reached")
	errPhoneCap = errors.New("per-phone cap reached")
)

// issue runs the OTP request for p from addr inside tx. For an admin it
// returns the new code, queued by SMS; for anyone else the record moves the
// same way (so the limits and answers are identical) but holds no usable
// hash and nothing is texted. reqErr is the refusal, if any: the flow's
// (per address) or the phone's cap.
func (c *Console) issue(tx *store.Tx, p bot.Phone, addr string, now time.Time) (code string, reqErr, err error) {
	var rec bot.OTPRecord
	if _, err := tx.OTPRecord(p, addr, &rec); err != nil {
		return "", nil, fmt.Errorf("load otp: %w", err)
	}
	if capped, err := phoneCapped(tx, p, addr, now); err != nil || capped {
		return "", errPhoneCap, err
	}
	rec.Phone = p
	admin := c.admins[p]
	hash := ""
	if admin {
		if code, err = c.cfg.Codes(); err != nil {
			return "", nil, err
		}
		secret, err := tx.AuthSecret()
		if err != nil {
			return "", nil, err
		}
		hash = codeHash(secret, p, code)
	}
	if reqErr := c.policy.Request(&rec, now, hash); reqErr != nil {
		return "", reqErr, nil
	}
	if admin {
		if err := c.textCode(tx, p, code, now); err != nil {
			return "", nil, err
		}
	}
	if err := c.policy.Sent(&rec); err != nil {
		return "", nil, err
	}
	if _, err := tx.CountHit("codes:"+string(p), now, time.Hour); err != nil {
		return "", nil, err
	}
	if err := tx.PutOTPRecord(p, addr, &rec); err != nil {
		return "", nil, fmt.Errorf("save otp: %w", err)
	}
	return code, nil, nil
}

// phoneCapped reports whether p has had its codes for the hour and addr is
// not one the admin signed in from lately.
func phoneCapped(tx *store.Tx, p bot.Phone, addr string, now time.Time) (bool, error) {
	n, err := tx.Hits("codes:"+string(p), now, time.Hour)
	if err != nil || n < phoneCodesPerHour {
		return false, err
	}
	known, err := tx.Hits(knownKey(p, addr), now, knownFor)
	return known == 0, err
}

// knownKey counts the sign-ins of p from addr.
func knownKey(p bot.Phone, addr string) string { return "known:" + string(p) + "|" + addr }

// textCode puts the code's SMS in the outbox, in the phone's language.
func (c *Console) textCode(tx *store.Tx, p bot.Phone, code string, now time.Time) error {
	ok, err := bot.Text(tx, now, bot.Note{
		To: p, Kind: bot.KindOTP, Priority: bot.PriorityHigh, Default: c.cfg.DefaultLocale,
		Body: func(lang string) string { return c.cfg.T.T(lang, "OTPCode", map[string]any{"Code": code}) },
	})
	if err == nil && !ok {
		c.log.Warn("console login code not texted: the admin phone opted out (text START from it)", "phone", p)
	}
	return err
}

// verify checks a code and, when right for an admin, starts a session.
func (c *Console) verify(ec echo.Context) error {
	p, err := bot.ParsePhone(ec.FormValue("phone"))
	if err != nil {
		return c.renderView(ec, http.StatusOK, "login.html", view{Title: "Sign in", Error: bot.ErrorMessage(err), D: loginView{Phone: ec.FormValue("phone")}})
	}
	code := strings.TrimSpace(ec.FormValue("code"))
	now := c.cfg.Clock.Now()
	var checkErr error
	var left int
	var token string
	err = c.db.Write(func(tx *store.Tx) error {
		n, err := tx.CountHit("check:"+ec.RealIP(), now, time.Hour)
		if err != nil || n > ipChecksPerHour {
			checkErr = errIPLimit
			return err
		}
		checkErr, left, err = c.check(tx, p, ec.RealIP(), code, now)
		if err != nil || checkErr != nil {
			return err
		}
		if _, err := tx.CountHit(knownKey(p, ec.RealIP()), now, knownFor); err != nil {
			return err
		}
		token, err = c.startSession(tx, p, now)
		return err
	})
	if err != nil {
		return c.internal(ec, "check code", err)
	}
	if checkErr == nil {
		c.setSessionCookie(ec, token, now.Add(sessionTTL))
		return ec.Redirect(http.StatusSeeOther, "/admin/")
	}
	return c.renderView(ec, checkStatus(checkErr), "verify.html", view{
		Title: "Enter your code", Error: checkMessage(checkErr, left), D: loginView{Phone: string(p), Left: left},
	})
}

// check runs one OTP check of the code p was sent for addr, and saves the
// record whatever the outcome: checks from one address never use up
// another's code.
func (c *Console) check(tx *store.Tx, p bot.Phone, addr, code string, now time.Time) (checkErr error, left int, err error) {
	var rec bot.OTPRecord
	if _, err := tx.OTPRecord(p, addr, &rec); err != nil {
		return nil, 0, fmt.Errorf("load otp: %w", err)
	}
	secret, err := tx.AuthSecret()
	if err != nil {
		return nil, 0, err
	}
	want := codeHash(secret, p, code)
	checkErr = c.policy.Check(&rec, now, func(stored string) bool {
		return hmac.Equal([]byte(stored), []byte(want))
	})
	if checkErr == nil && !c.admins[p] {
		checkErr = bot.ErrOTPWrong // never reached: non-admins hold no hash
	}
	if rec.State != bot.OTPNone {
		if err := tx.PutOTPRecord(p, addr, &rec); err != nil {
			return nil, 0, fmt.Errorf("save otp: %w", err)
		}
	}
	return checkErr, c.policy.ChecksLeft(&rec), nil
}

func checkStatus(err error) int {
	if errors.Is(err, errIPLimit) || errors.Is(err, bot.ErrOTPLocked) {
		return http.StatusTooManyRequests
	}
	return http.StatusUnauthorized
}

func checkMessage(err error, left int) string {
	switch {
	case errors.Is(err, errIPLimit):
		return "Too many codes were tried from your network. Try again in an hour."
	case errors.Is(err, bot.ErrOTPLocked):
		return "Too many wrong tries for this code. Ask for a new code."
	case errors.Is(err, bot.ErrOTPExpired):
		return "That code has expired. Ask for a new code."
	case errors.Is(err, bot.ErrOTPNoCode):
		return "No code is waiting for this phone from your network (a code works where it was asked for). Ask for a new code."
	case errors.Is(err, bot.ErrOTPWrong) && left == 0:
		return "That code is not right, and it had no tries left. Ask for a new code."
	case errors.Is(err, bot.ErrOTPWrong):
		if left == 1 {
			return "That code is not right. 1 try left."
		}
		return fmt.Sprintf("That code is not right. %d tries left.", left)
	default:
		return "That code is not right. Ask for a new code."
	}
}

func (c *Console) startSession(tx *store.Tx, p bot.Phone, now time.Time) (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("session token: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	if _, err := tx.PruneSessions(now); err != nil {
		return "", err
	}
	s := store.Session{Phone: p, CreatedAt: now, ExpiresAt: now.Add(sessionTTL)}
	if err := tx.PutSession(tokenHash(token), s); err != nil {
		return "", fmt.Errorf("save session: %w", err)
	}
	return token, nil
}

func (c *Console) setSessionCookie(ec echo.Context, token string, expires time.Time) {
	maxAge := int(sessionTTL / time.Second)
	if token == "" {
		maxAge = -1
	}
	ec.SetCookie(&http.Cookie{
		Name: sessionCookie, Value: token, Path: "/admin", Expires: expires, MaxAge: maxAge,
		HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode,
	})
	// A new CSRF token with each new session (and none after logout): the
	// next page the console serves makes one.
	ec.SetCookie(&http.Cookie{
		Name: csrfCookie, Path: "/admin", MaxAge: -1,
		HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode,
	})
}

// sessionPhone returns the admin signed in by the request's cookie, or "".
func (c *Console) sessionPhone(ec echo.Context) bot.Phone {
	ck, err := ec.Cookie(sessionCookie)
	if err != nil || ck.Value == "" {
		return ""
	}
	var s *store.Session
	err = c.db.Read(func(tx *store.Tx) error {
		var err error
		s, err = tx.Session(tokenHash(ck.Value))
		return err
	})
	if err != nil {
		c.log.Error("console: load session", "err", err)
		return ""
	}
	if s == nil || !c.cfg.Clock.Now().Before(s.ExpiresAt) || !c.admins[s.Phone] {
		return ""
	}
	return s.Phone
}

// requireSession lets signed-in admins through and sends others to login.
func (c *Console) requireSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(ec echo.Context) error {
		p := c.sessionPhone(ec)
		if p == "" {
			return ec.Redirect(http.StatusSeeOther, "/admin/login")
		}
		ec.Set(adminKey, p)
		return next(ec)
	}
}

func (c *Console) logout(ec echo.Context) error {
	if ck, err := ec.Cookie(sessionCookie); err == nil {
		err := c.db.Write(func(tx *store.Tx) error { return tx.DeleteSession(tokenHash(ck.Value)) })
		if err != nil {
			return c.internal(ec, "end session", err)
		}
	}
	c.setSessionCookie(ec, "", time.Unix(0, 0))
	return ec.Redirect(http.StatusSeeOther, "/admin/login")
}
