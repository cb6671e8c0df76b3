package app

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"nudges/bot"
	"nudges/store"
	"nudges/webhooks/webkit"
)

// Limits of the dashboard's login, counted apart from the console's.
var limits = webkit.DefaultLimits

// audience is the dashboard as webkit sees it: cookies nudges_app_*, under
// /app, store keys scoped "app:", and only clients past signup may sign in.
func audience() webkit.Audience {
	return webkit.Audience{
		Name: "dashboard", Base: "/app", Cookie: "nudges_app", Scope: "app:", Limits: limits,
		May:         maySignIn,
		Refuse401:   true,
		CodeMessage: "DashboardCode",
		BigBody:     isUpload,
		SentNotice:  "If this phone runs a list on Nudges, a 6-digit code is on its way. It works for 10 minutes.",
		DevHint: func() string {
			return "Dev mode: no SMS is sent; your login code is printed in the server log. Or text WEB from your client phone for a sign-in link."
		},
		DevCodeNotice: func(p bot.Phone, may bool) string {
			if may {
				return "Dev mode: your 6-digit code is printed in the server log (not texted). It works for 10 minutes."
			}
			return "Dev mode: " + string(p) + " runs no list (or has not paid yet), so no code was made. Text SIGNUP from it to start one."
		},
	}
}

// maySignIn: a client's phone past signup (active, past due, suspended,
// canceled).
func maySignIn(tx *store.Tx, p bot.Phone) (bool, error) {
	c, err := tx.Client(p)
	return c.MaySignIn(), err
}

// linkPage is where the WEB link lands: a button that signs in. The link
// is used up only by that POST, so a messaging app that fetches the link
// for a preview does not spend it.
func (d *Dashboard) linkPage(ec echo.Context) error {
	c, err := d.linkClient(ec.Param("token"))
	if err != nil {
		return d.kit.Internal(ec, "login link", err)
	}
	if c == nil {
		return d.kit.Render(ec, http.StatusNotFound, "link.html", webkit.View{Title: "Sign in", Error: linkGone})
	}
	return d.kit.Render(ec, http.StatusOK, "link.html", webkit.View{Title: "Sign in", D: c.Name})
}

// linkGone is what a used, expired or unknown link says.
const linkGone = "This sign-in link has expired or was already used. Text WEB to your Nudges number for a new one, or sign in with a code."

// linkClient is the client whose live link token is, or nil.
func (d *Dashboard) linkClient(token string) (*bot.Client, error) {
	pay, secret := bot.SplitBillToken(token)
	if pay == "" || secret == "" {
		return nil, nil
	}
	var c *bot.Client
	err := d.db.Read(func(tx *store.Tx) error {
		var err error
		c, err = tx.ClientByPayToken(pay)
		return err
	})
	now := d.cfg.Web.Clock.Now()
	if err != nil || c == nil || !c.MaySignIn() || !c.WebLink.Live(secret, now) {
		return nil, err
	}
	return c, nil
}

// linkLogin spends the link and opens a session.
func (d *Dashboard) linkLogin(ec echo.Context) error {
	pay, secret := bot.SplitBillToken(ec.Param("token"))
	now := d.cfg.Web.Clock.Now()
	var token string
	err := d.db.Write(func(tx *store.Tx) error {
		c, err := tx.ClientByPayToken(pay)
		if err != nil || pay == "" || c == nil || !c.MaySignIn() || !c.UseWebLink(secret, now) {
			return err
		}
		if err := tx.PutClient(c); err != nil {
			return err
		}
		token, err = d.kit.StartSession(tx, c.Phone, now)
		return err
	})
	if err != nil {
		return d.kit.Internal(ec, "login link", err)
	}
	if token == "" {
		return d.kit.Render(ec, http.StatusNotFound, "link.html", webkit.View{Title: "Sign in", Error: linkGone})
	}
	d.kit.SetSessionCookie(ec, token, now.Add(webkit.SessionTTL))
	return ec.Redirect(http.StatusSeeOther, "/app/")
}
