package webkit

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"nudges/bot"
	"nudges/store"
)

// LoginView is the data of the login and code pages (login.html and
// verify.html in the audience's templates).
type LoginView struct {
	Phone string
	Left  int // checks left on the current code, 0 when unknown
}

// LoginPage shows the phone form, or goes home when already signed in.
func (k *Kit) LoginPage(ec echo.Context) error {
	if k.SessionPhone(ec) != "" {
		return ec.Redirect(http.StatusSeeOther, k.aud.Base+"/")
	}
	return k.Render(ec, http.StatusOK, "login.html", View{Title: "Sign in", Notice: k.devHint(), D: LoginView{}})
}

func (k *Kit) devHint() string {
	if !k.cfg.DevMode || k.aud.DevHint == nil {
		return ""
	}
	return k.aud.DevHint()
}

// Login asks for a code. The page that follows is the same whether or not
// the phone may sign in; only those that may are texted a code.
func (k *Kit) Login(ec echo.Context) error {
	p, err := bot.ParsePhone(ec.FormValue("phone"))
	if err != nil {
		return k.Render(ec, http.StatusOK, "login.html", View{Title: "Sign in", Error: bot.ErrorMessage(err), D: LoginView{Phone: ec.FormValue("phone")}})
	}
	now := k.cfg.Clock.Now()
	var code string
	var may bool
	var reqErr error
	err = k.db.Write(func(tx *store.Tx) error {
		n, err := tx.CountHit(k.counter("code:"+ec.RealIP()), now, time.Hour)
		if err != nil {
			return err
		}
		if n > k.aud.Limits.IPCodesPerHour {
			reqErr = errIPLimit
			return nil
		}
		code, may, reqErr, err = k.issue(tx, p, ec.RealIP(), now)
		return err
	})
	if err != nil {
		return k.Internal(ec, "issue code", err)
	}
	if msg := requestRefusal(reqErr); msg != "" {
		return k.Render(ec, http.StatusTooManyRequests, "login.html", View{Title: "Sign in", Error: msg, D: LoginView{Phone: string(p)}})
	}
	v := View{Title: "Enter your code", D: LoginView{Phone: string(p)}}
	switch {
	case errors.Is(reqErr, bot.ErrOTPWait):
		v.Notice = "A code was sent less than 30 seconds ago. Use it, or wait a little before asking for another."
	case k.cfg.DevMode && k.aud.DevCodeNotice != nil:
		v.Notice = k.aud.DevCodeNotice(p, may)
	default:
		v.Notice = k.aud.SentNotice
	}
	if code != "" {
		k.codeQueued(p, code)
	}
	return k.Render(ec, http.StatusOK, "verify.html", v)
}

// codeQueued wakes the outbox for a code's SMS, and in dev mode logs it.
func (k *Kit) codeQueued(p bot.Phone, code string) {
	if k.cfg.Kick != nil {
		k.cfg.Kick()
	}
	if k.cfg.DevMode {
		k.log.Info(k.aud.Name+" login code (dev mode: SMS not sent through Twilio)", "phone", p, "code", code)
	}
}

// requestRefusal words a refused code request, "" when it was not one.
func requestRefusal(err error) string {
	switch {
	case errors.Is(err, errIPLimit):
		return "Too many codes were asked for from your network. Try again in an hour."
	case errors.Is(err, errPhoneCap):
		return "Too many codes were sent to this phone in the last hour. Try again later."
	case errors.Is(err, bot.ErrOTPTooMany):
		return "Too many codes were asked for this phone from your network in the last hour. Try again later."
	}
	return ""
}

// Verify checks a code and, when right for a phone that may sign in,
// starts a session.
func (k *Kit) Verify(ec echo.Context) error {
	p, err := bot.ParsePhone(ec.FormValue("phone"))
	if err != nil {
		return k.Render(ec, http.StatusOK, "login.html", View{Title: "Sign in", Error: bot.ErrorMessage(err), D: LoginView{Phone: ec.FormValue("phone")}})
	}
	code := strings.TrimSpace(ec.FormValue("code"))
	now := k.cfg.Clock.Now()
	var checkErr error
	var left int
	var token string
	err = k.db.Write(func(tx *store.Tx) error {
		n, err := tx.CountHit(k.counter("check:"+ec.RealIP()), now, time.Hour)
		if err != nil || n > k.aud.Limits.IPChecksPerHour {
			checkErr = errIPLimit
			return err
		}
		checkErr, left, err = k.check(tx, p, ec.RealIP(), code, now)
		if err != nil || checkErr != nil {
			return err
		}
		if _, err := tx.CountHit(k.knownKey(p, ec.RealIP()), now, k.aud.Limits.KnownFor); err != nil {
			return err
		}
		token, err = k.StartSession(tx, p, now)
		return err
	})
	if err != nil {
		return k.Internal(ec, "check code", err)
	}
	if checkErr == nil {
		k.SetSessionCookie(ec, token, now.Add(SessionTTL))
		return ec.Redirect(http.StatusSeeOther, k.aud.Base+"/")
	}
	return k.Render(ec, checkStatus(checkErr), "verify.html", View{
		Title: "Enter your code", Error: checkMessage(checkErr, left), D: LoginView{Phone: string(p), Left: left},
	})
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
