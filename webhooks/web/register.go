package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"nudges/bot"
)

// registerPage is what the registration form shows.
type registerPage struct {
	Client          string
	Number          string
	R               bot.Registration
	Errors          map[string]string
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
	r, err := p.prefill(cl)
	if err != nil {
		return p.internal(c, "register prefill", err)
	}
	return p.renderRegister(c, http.StatusOK, cl, r, nil)
}

// prefill is the registration the form starts from: the client's name and
// phone, its last announcement as the sample, and its keyword and join
// page as the opt-in.
func (p *Pages) prefill(c *bot.Client) (bot.Registration, error) {
	r := bot.Registration{BusinessName: c.Name, ContactPhone: c.Phone, UseCase: "MARKETING",
		OptIn:      fmt.Sprintf("Subscribers text %s to %s", c.Keyword, c.Own.Phone),
		OptInImage: strings.TrimRight(p.cfg.PublicURL, "/") + "/j/" + url.PathEscape(c.Keyword)}
	if c.LastAnnouncement == 0 {
		return r, nil
	}
	err := p.cfg.Store.View(func(tx bot.Tx) error {
		a, err := tx.Announcement(c.LastAnnouncement)
		if a != nil {
			r.Sample = a.Text
		}
		return err
	})
	return r, err
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
	r, bad := readRegistration(c.Request())
	if len(bad) > 0 {
		return p.renderRegister(c, http.StatusBadRequest, cl, r, bad)
	}
	p.submit.Lock()
	defer p.submit.Unlock()
	if cl, err = p.registrant(c.Param("token")); err != nil || cl == nil { // a submission just before this one
		return p.notFound(c)
	}
	sid, err := p.cfg.Registrar.SubmitVerification(c.Request().Context(), *cl.Own, r)
	if err != nil {
		p.cfg.Log.Error("submit toll-free verification", "client", cl.Phone, "err", err)
		return p.renderRegister(c, http.StatusServiceUnavailable, cl, r,
			map[string]string{"Form": "The carriers' registration service did not take the form. Please try again in a few minutes."})
	}
	if err := p.recordSubmission(cl.Phone, cl.Own.PhoneSID, sid); err != nil {
		return p.internal(c, "record verification", err)
	}
	page := registerPage{Client: cl.Name, Number: string(cl.Own.Phone), Done: true}
	return p.renderPage(c, http.StatusOK, page)
}

// recordSubmission notes the verification on the client's number and ends
// the link.
func (p *Pages) recordSubmission(client bot.Phone, phoneSID, sid string) error {
	now := p.cfg.Clock.Now()
	return p.cfg.Store.Update(func(tx bot.Tx) error {
		c, err := tx.Client(client)
		if err != nil || c == nil || c.Own == nil || c.Own.PhoneSID != phoneSID {
			return err
		}
		n := c.Own
		n.VerificationSID, n.State, n.Since, n.Reason = sid, bot.NumberVerifying, now, ""
		n.NextTry, n.Link = now.Add(bot.NumberPoll), bot.BillLink{}
		n.Note(now, "toll-free verification submitted (%s)", sid)
		return tx.PutClient(c)
	})
}

// readRegistration reads the posted form (the body only, never the query)
// into a registration and says what is wrong with it.
func readRegistration(req *http.Request) (bot.Registration, map[string]string) {
	if err := req.ParseForm(); err != nil {
		return bot.Registration{}, map[string]string{"Form": "The form could not be read. Please try again."}
	}
	f := func(k string) string { return strings.TrimSpace(req.PostForm.Get(k)) }
	r := bot.Registration{
		BusinessName: f("BusinessName"), Website: f("Website"), Street: f("Street"), City: f("City"),
		Region: strings.ToUpper(f("Region")), PostalCode: f("PostalCode"), ContactFirst: f("ContactFirst"),
		ContactLast: f("ContactLast"), Email: f("Email"), UseCase: f("UseCase"), Volume: f("Volume"),
		Sample: f("Sample"), OptIn: f("OptIn"), OptInImage: f("OptInImage"),
	}
	phone, perr := bot.ParsePhone(f("ContactPhone"))
	if perr == nil {
		r.ContactPhone = phone
	}
	bad := r.Validate()
	if perr != nil && f("ContactPhone") != "" {
		bad["ContactPhone"] = "Give a phone number, like +15551234567."
		r.ContactPhone = bot.Phone(f("ContactPhone")) // shown back as typed
	}
	return r, bad
}

func (p *Pages) renderRegister(c echo.Context, status int, cl *bot.Client, r bot.Registration, bad map[string]string) error {
	return p.renderPage(c, status, registerPage{Client: cl.Name, Number: string(cl.Own.Phone), R: r, Errors: bad,
		UseCases: bot.UseCases, Sizes: bot.Volumes})
}

func (p *Pages) renderPage(c echo.Context, status int, page registerPage) error {
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Robots-Tag", "noindex")
	return p.render(c, status, "register.html", page)
}

// field is one text input of the form: its name, label, value and error.
type field struct{ Name, Label, Value, Error string }

func formField(name, label, value string, errs map[string]string) field {
	return field{Name: name, Label: label, Value: value, Error: errs[name]}
}
