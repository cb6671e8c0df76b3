package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"nudges/bot"
)

// registerPage is what the registration form shows.
type registerPage struct {
	Client          string
	Number          string
	R               bot.Registration
	Errors          map[string]string
	Fields          []Field // the text inputs
	UseCases, Sizes []string
	Done            bool
}

// registrant returns the client whose live REGISTER link token is, or nil.
func (p *Pages) registrant(token string) (*bot.Client, error) {
	pay, secret := bot.SplitBillToken(token)
	if pay == "" || secret == "" || len(token) > 200 {
		return nil, nil
	}
	var c *bot.Client
	err := p.cfg.Store.View(func(tx bot.Tx) error {
		var err error
		c, err = tx.ClientByPayToken(pay)
		return err
	})
	if err != nil || c == nil || !c.RegisterLinkValid(secret, p.cfg.Clock.Now()) {
		return nil, err
	}
	return c, nil
}

// registerForm serves GET /r/{token}: the form, prefilled from what the
// service knows. It changes nothing, so a link preview does no harm.
func (p *Pages) registerForm(c echo.Context) error {
	cl, err := p.registrant(c.Param("token"))
	switch {
	case err != nil:
		return p.internal(c, "register form", err)
	case cl == nil:
		return p.notFound(c)
	}
	r, err := p.form.Prefill(cl)
	if err != nil {
		return p.internal(c, "register prefill", err)
	}
	return p.renderRegister(c, http.StatusOK, cl, r, nil)
}

// registerSubmit serves POST /r/{token}: the token is the credential (it
// is secret, short-lived and bound to one client), so no session or CSRF
// token is needed. Bad fields re-show the form with what to fix.
func (p *Pages) registerSubmit(c echo.Context) error {
	cl, err := p.registrant(c.Param("token"))
	switch {
	case err != nil:
		return p.internal(c, "register submit", err)
	case cl == nil:
		return p.notFound(c)
	}
	r, bad := ReadRegistration(c.Request())
	if len(bad) > 0 {
		return p.renderRegister(c, http.StatusBadRequest, cl, r, bad)
	}
	_, secret := bot.SplitBillToken(c.Param("token"))
	now := p.cfg.Clock.Now()
	done, err := p.form.Submit(c.Request().Context(), cl.Phone, func(c *bot.Client) bool { return c.RegisterLinkValid(secret, now) }, r)
	switch {
	case errors.Is(err, ErrCarriers):
		return p.renderRegister(c, http.StatusServiceUnavailable, cl, r,
			map[string]string{"Form": "The carriers' registration service did not take the form. Please try again in a few minutes."})
	case err != nil:
		return p.internal(c, "register submit", err)
	case done == nil: // a submission just before this one
		return p.notFound(c)
	}
	page := registerPage{Client: cl.Name, Number: string(cl.Own.Phone), Done: true}
	return p.renderPage(c, http.StatusOK, page)
}

func (p *Pages) renderRegister(c echo.Context, status int, cl *bot.Client, r bot.Registration, bad map[string]string) error {
	return p.renderPage(c, status, registerPage{Client: cl.Name, Number: string(cl.Own.Phone), R: r, Errors: bad,
		Fields: RegistrationFields(r, bad), UseCases: bot.UseCases, Sizes: bot.Volumes})
}

func (p *Pages) renderPage(c echo.Context, status int, page registerPage) error {
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Robots-Tag", "noindex")
	return p.render(c, status, "register.html", page)
}
