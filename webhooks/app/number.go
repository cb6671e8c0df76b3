package app

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"nudges/bot"
	"nudges/webhooks/web"
)

// numberPage is the data of the Number page.
type numberPage struct {
	Number numberView
	// Form is set while the number awaits the client's registration.
	Form *registrationForm
}

// registrationForm is the toll-free registration form (web.RegisterForm's
// logic), as the Number page shows it.
type registrationForm struct {
	R               bot.Registration
	Errors          map[string]string
	Fields          []web.Field
	UseCases, Sizes []string
	Rejected        string // the carriers' reason for refusing the last one
}

// awaitsRegistration reports whether n is a toll-free number bought and
// not yet submitted for verification, or refused: what REGISTER offers the
// form for.
func awaitsRegistration(n *bot.OwnNumber) bool {
	return n != nil && n.Kind == bot.NumberTollFree && n.PhoneSID != "" &&
		(n.State == bot.NumberRejected || n.State == bot.NumberVerifying && n.VerificationSID == "")
}

// number shows the number's state and, while it awaits registration, the
// form prefilled from what the service knows.
func (d *Dashboard) number(ec echo.Context, c *bot.Client) error {
	v := numberPage{Number: d.numberOf(c)}
	if d.cfg.Register != nil && awaitsRegistration(c.Own) {
		r, err := d.cfg.Register.Prefill(c)
		if err != nil {
			return d.kit.Internal(ec, "registration prefill", err)
		}
		v.Form = newRegistrationForm(c, r, nil)
	}
	return d.render(ec, c, "number.html", "Number", v)
}

func newRegistrationForm(c *bot.Client, r bot.Registration, bad map[string]string) *registrationForm {
	f := &registrationForm{R: r, Errors: bad, Fields: web.RegistrationFields(r, bad), UseCases: bot.UseCases, Sizes: bot.Volumes}
	if c.Own.State == bot.NumberRejected {
		f.Rejected = c.Own.Reason
	}
	return f
}

// numberRegister submits the registration form. Bad fields show the form
// again with what to fix; a number that no longer awaits registration (a
// second post, or one already sent by the REGISTER link) is told so.
func (d *Dashboard) numberRegister(ec echo.Context, c *bot.Client) error {
	if d.cfg.Register == nil || !awaitsRegistration(c.Own) {
		return d.kit.RedirectFlash(ec, "/app/number", "Your number has nothing to register now.", true)
	}
	r, bad := web.ReadRegistration(ec.Request())
	if len(bad) > 0 {
		return d.renderStatus(ec, c, http.StatusBadRequest, "number.html", "Number",
			numberPage{Number: d.numberOf(c), Form: newRegistrationForm(c, r, bad)})
	}
	done, err := d.cfg.Register.Submit(ec.Request().Context(), c.Phone, func(c *bot.Client) bool { return awaitsRegistration(c.Own) }, r)
	switch {
	case errors.Is(err, web.ErrCarriers):
		bad = map[string]string{"Form": "The carriers' registration service did not take the form. Please try again in a few minutes."}
		return d.renderStatus(ec, c, http.StatusServiceUnavailable, "number.html", "Number",
			numberPage{Number: d.numberOf(c), Form: newRegistrationForm(c, r, bad)})
	case err != nil:
		return d.kit.Internal(ec, "register number", err)
	case done == nil:
		return d.kit.RedirectFlash(ec, "/app/number", "Your number has nothing to register now.", true)
	}
	return d.kit.RedirectFlash(ec, "/app/number", "The registration went to the carriers. Review takes a few days; we will text you when it is approved.", false)
}
