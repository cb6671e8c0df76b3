package admin

import (
	"context"
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
			return c.internal(ec, "simulator", err)
		}
	}
	return c.render(ec, http.StatusOK, "simulator.html", "Simulator", v)
}

// simulate hands the text to the engine as a simulated inbound message: the
// inline reply comes back here, and anything queued for the phone is marked
// simulated, so it is captured and never sent through Twilio.
func (c *Console) simulate(ec echo.Context) error {
	v := simulatorView{Phone: strings.TrimSpace(ec.FormValue("phone")), Text: ec.FormValue("text")}
	p, err := bot.ParsePhone(v.Phone)
	if err != nil {
		return c.renderView(ec, http.StatusUnprocessableEntity, "simulator.html", view{Title: "Simulator", Error: bot.ErrorMessage(err), D: v})
	}
	v.Phone = string(p)
	ctx, cancel := context.WithTimeout(ec.Request().Context(), 10*time.Second)
	defer cancel()
	reply, err := c.cfg.Handler.Handle(ctx, bot.Inbound{From: p, To: "console", Body: v.Text, Simulated: true})
	if err != nil {
		return c.internal(ec, "simulate", err)
	}
	v.Reply, v.Sent, v.Text = reply.Text, true, ""
	if err := c.loadSimulated(p, &v); err != nil {
		return c.internal(ec, "simulator", err)
	}
	return c.render(ec, http.StatusOK, "simulator.html", "Simulator", v)
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
