package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"nudges/bot"
)

// ErrCarriers is a submission the carriers' registration service did not take.
var ErrCarriers = errors.New("the carriers' registration service did not take the form")

// RegisterForm is the toll-free number registration form's logic (what it
// starts from, how a post is read, the submission to the carriers and its
// record). The public page /r/{token} and the dashboard's Number page both
// use the one a Pages holds, so that two posts, from either, never make
// two verifications.
type RegisterForm struct {
	cfg *Config
	mu  sync.Mutex // one submission at a time
}

// Registration is the registration form's logic, nil without a Registrar.
func (p *Pages) Registration() *RegisterForm {
	if p.cfg.Registrar == nil {
		return nil
	}
	return p.form
}

// Prefill is the registration the form starts from: the client's name and
// phone, its last announcement as the sample, and its keyword and join
// page as the opt-in.
func (f *RegisterForm) Prefill(c *bot.Client) (bot.Registration, error) {
	r := bot.Registration{BusinessName: c.Name, ContactPhone: c.Phone, UseCase: "MARKETING",
		OptIn:      fmt.Sprintf("Subscribers text %s to %s", c.Keyword, c.Own.Phone),
		OptInImage: strings.TrimRight(f.cfg.PublicURL, "/") + "/j/" + url.PathEscape(c.Keyword)}
	if c.LastAnnouncement == 0 {
		return r, nil
	}
	err := f.cfg.Store.View(func(tx bot.Tx) error {
		a, err := tx.Announcement(c.LastAnnouncement)
		if a != nil {
			r.Sample = a.Text
		}
		return err
	})
	return r, err
}

// ReadRegistration reads the posted form (the body only, never the query)
// into a registration and says what is wrong with it, by field ("Form"
// for the whole form).
func ReadRegistration(req *http.Request) (bot.Registration, map[string]string) {
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

// Submit sends r to the carriers for the number of client when open, asked
// of the client as stored now (under the lock, so a second post sees the
// first one's record), says yes; it returns the client submitted for, or
// nil when open said no. A refusal from the carriers is ErrCarriers.
func (f *RegisterForm) Submit(ctx context.Context, client bot.Phone, open func(*bot.Client) bool, r bot.Registration) (*bot.Client, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var c *bot.Client
	err := f.cfg.Store.View(func(tx bot.Tx) error {
		var err error
		c, err = tx.Client(client)
		return err
	})
	if err != nil || c == nil || c.Own == nil || !open(c) {
		return nil, err
	}
	sid, err := f.cfg.Registrar.SubmitVerification(ctx, *c.Own, r)
	if err != nil {
		f.cfg.Log.Error("submit toll-free verification", "client", c.Phone, "err", err)
		return nil, fmt.Errorf("%w: %v", ErrCarriers, err)
	}
	if err := f.record(c.Phone, c.Own.PhoneSID, sid); err != nil {
		return nil, fmt.Errorf("record verification: %w", err)
	}
	return c, nil
}

// record notes the verification on the client's number and ends its
// REGISTER link.
func (f *RegisterForm) record(client bot.Phone, phoneSID, sid string) error {
	now := f.cfg.Clock.Now()
	return f.cfg.Store.Update(func(tx bot.Tx) error {
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

// Field is one text input of the registration form: its name, label,
// value and error.
type Field struct{ Name, Label, Value, Error string }

// registrationInputs are the form's text inputs in order, with labels.
var registrationInputs = [][2]string{
	{"BusinessName", "Legal business name"}, {"Website", "Website"}, {"Street", "Street address"},
	{"City", "City"}, {"Region", "State (two letters)"}, {"PostalCode", "ZIP code"},
	{"ContactFirst", "Contact first name"}, {"ContactLast", "Contact last name"},
	{"Email", "Contact e-mail"}, {"ContactPhone", "Contact phone"},
}

// RegistrationFields are r's text inputs with errs, in the form's order
// (the selects, the two text areas and the opt-in page follow them).
func RegistrationFields(r bot.Registration, errs map[string]string) []Field {
	values := map[string]string{"BusinessName": r.BusinessName, "Website": r.Website, "Street": r.Street,
		"City": r.City, "Region": r.Region, "PostalCode": r.PostalCode, "ContactFirst": r.ContactFirst,
		"ContactLast": r.ContactLast, "Email": r.Email, "ContactPhone": string(r.ContactPhone)}
	out := make([]Field, 0, len(registrationInputs))
	for _, in := range registrationInputs {
		out = append(out, Field{Name: in[0], Label: in[1], Value: values[in[0]], Error: errs[in[0]]})
	}
	return out
}
