package admin

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"nudges/bot"
	"nudges/store"
)

// simulatorView is the simulator form and the phone's conversation so far.
type simulatorView struct {
	Phone  string
	Text   string
	Reply  string
	Sent   bool // a message was just handled
	Log    []bot.LogEntry
	Outbox []bot.OutMessage // messages queued to the phone, newest first
}

func (c *Console) simulatorPage(ec echo.Context) error {
	v := simulatorView{Phone: ec.QueryParam("phone")}
	if p, err := bot.ParsePhone(v.Phone); err == nil {
		if err := c.loadSimulated(p, &v); err != nil {
			return c.kit.Internal(ec, "simulator", err)
		}
	}
	return c.kit.Render(ec, http.StatusOK, "simulator.html", view{Title: "Simulator", D: v})
}

// simulate hands the text to the engine as a simulated inbound message: the
// inline reply comes back here, and anything queued for the phone is marked
// simulated, so it is captured and never sent through Twilio. A phone with
// real traffic (an admin's, a real client's, one that texted for real) is
// refused before the engine sees anything: its real messages would be
// captured and its broadcasts could reach real subscribers.
func (c *Console) simulate(ec echo.Context) error {
	v := simulatorView{Phone: strings.TrimSpace(ec.FormValue("phone")), Text: ec.FormValue("text")}
	p, err := bot.ParsePhone(v.Phone)
	if err != nil {
		return c.simRefused(ec, v, bot.ErrorMessage(err))
	}
	v.Phone = string(p)
	why, err := c.realPhone(p)
	if err != nil {
		return c.kit.Internal(ec, "simulator", err)
	}
	if why != "" {
		return c.simRefused(ec, v, why+madeUp)
	}
	ctx, cancel := context.WithTimeout(ec.Request().Context(), 10*time.Second)
	defer cancel()
	reply, err := c.cfg.Handler.Handle(ctx, bot.Inbound{From: p, To: "console", Body: v.Text, Simulated: true})
	var be *bot.Error
	if errors.As(err, &be) {
		return c.simRefused(ec, v, be.Message)
	}
	if err != nil {
		return c.kit.Internal(ec, "simulate", err)
	}
	v.Reply, v.Sent, v.Text = reply.Text, true, ""
	if err := c.loadSimulated(p, &v); err != nil {
		return c.kit.Internal(ec, "simulator", err)
	}
	return c.kit.Render(ec, http.StatusOK, "simulator.html", view{Title: "Simulator", D: v})
}

// madeUp ends a refusal with what to do instead.
const madeUp = " Simulate with a made-up number instead, like +15550100123 (+1 555 01xx numbers reach nobody)."

// simRefused shows the simulator form again with why the message was not sent.
func (c *Console) simRefused(ec echo.Context, v simulatorView, why string) error {
	return c.kit.Render(ec, http.StatusUnprocessableEntity, "simulator.html", view{Title: "Simulator", Error: why, D: v})
}

// realPhone says why p must not be simulated, "" when it may: an admin's
// phone, a client that is not itself simulated, or a phone with real
// traffic.
func (c *Console) realPhone(p bot.Phone) (string, error) {
	if c.admins[p] {
		return string(p) + " is a console admin's phone: its login codes must reach it.", nil
	}
	var why string
	err := c.db.Read(func(tx *store.Tx) error {
		conv, err := tx.Conversation(p)
		if err != nil {
			return err
		}
		cl, err := tx.Client(p)
		if err != nil {
			return err
		}
		switch {
		case conv.Simulated:
		case cl != nil:
			why = string(p) + " is a real client (" + cl.Name + "): its announcements would reach real subscribers."
		case !conv.FirstSeen.IsZero():
			why = string(p) + " has texted the service for real: its real messages would be captured."
		}
		return nil
	})
	return why, err
}

func (c *Console) loadSimulated(p bot.Phone, v *simulatorView) error {
	return c.db.Read(func(tx *store.Tx) error {
		var err error
		if v.Log, err = tx.LogOf(p, 100); err != nil {
			return err
		}
		v.Outbox, err = tx.RecentOutboxTo(p, 20, 5000)
		return err
	})
}
