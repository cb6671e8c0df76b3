package admin

import (
	"context"
	"fmt"
	"time"

	"github.com/labstack/echo/v4"

	"nudges/bot"
	"nudges/store"
)

// loadClient reads client p, or a not-found error.
func (c *Console) loadClient(p bot.Phone) (*bot.Client, error) {
	var cl *bot.Client
	err := c.db.Read(func(tx *store.Tx) (err error) { cl, err = tx.Client(p); return err })
	if err == nil && cl == nil {
		err = noClient(p)
	}
	return cl, err
}

// assign ties a number the Twilio account already owns to the client, in
// place of any number being provisioned.
func (c *Console) assign(ec echo.Context, p bot.Phone) (string, error) {
	number, err := bot.ParsePhone(ec.FormValue("number"))
	if err != nil {
		return "", bot.Errorf(bot.EINVALID, "The number to assign: %s", bot.ErrorMessage(err))
	}
	kind := bot.NumberKind(ec.FormValue("kind"))
	if kind != bot.NumberLocal && kind != bot.NumberTollFree {
		return "", bot.Errorf(bot.EINVALID, "Pick whether the number is local or toll-free.")
	}
	if c.cfg.Numbers == nil {
		return "", bot.Errorf(bot.EINVALID, "Assigning a number needs Twilio (TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN).")
	}
	cl, err := c.loadClient(p)
	if err != nil {
		return "", err
	}
	if err := c.numberFree(number, p); err != nil {
		return "", err
	}
	probe := *cl
	probe.Own = &bot.OwnNumber{Kind: kind, State: bot.NumberProvisioning}
	ctx, cancel := context.WithTimeout(ec.Request().Context(), numberCall)
	defer cancel()
	got, err := c.cfg.Numbers.Assign(ctx, probe, number)
	if err != nil {
		return "", err
	}
	return c.numberChange(p, func(tx bot.Tx, cl *bot.Client, now time.Time) (string, error) {
		if holder, err := tx.ClientByNumber(number); err != nil || (holder != nil && holder.Phone != p) {
			return "", firstErr(err, bot.Errorf(bot.ECONFLICT, "%s is %s's number.", number, holderName(holder)))
		}
		if cl.Own != nil {
			got.History = cl.Own.History
		}
		got.Kind, got.State, got.Since, got.Tries, got.NextTry, got.Reason = kind, bot.NumberVerifying, now, 0, time.Time{}, ""
		got.Note(now, "operator: assigned %s (%s)", number, got.PhoneSID)
		cl.Own = &got
		return fmt.Sprintf("%s is %s's number now, waiting for its %s.", number, cl.Name, waitsFor(kind)), tx.PutClient(cl)
	})
}

func waitsFor(kind bot.NumberKind) string {
	if kind == bot.NumberTollFree {
		return "toll-free verification (the client texts REGISTER)"
	}
	return "10DLC registration (mark it registered here when done)"
}

// numberFree fails when another client holds number.
func (c *Console) numberFree(number, client bot.Phone) error {
	var holder *bot.Client
	err := c.db.Read(func(tx *store.Tx) (err error) { holder, err = tx.ClientByNumber(number); return err })
	if err == nil && holder != nil && holder.Phone != client {
		err = bot.Errorf(bot.ECONFLICT, "%s is %s's number.", number, holderName(holder))
	}
	return err
}

func holderName(c *bot.Client) string {
	if c == nil {
		return "another client"
	}
	return c.Name
}

func firstErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// release gives the client's number back to Twilio now; its list sends
// from the service number again.
func (c *Console) release(ec echo.Context, p bot.Phone) (string, error) {
	if ec.FormValue("confirm") != "1" {
		return "", bot.Errorf(bot.EINVALID, "Tick the box to confirm the release: the number cannot be had back.")
	}
	cl, err := c.loadClient(p)
	if err != nil {
		return "", err
	}
	own := cl.Own
	if own == nil || own.State == bot.NumberReleased {
		return "", bot.Errorf(bot.EINVALID, "%s has no number to release.", cl.Name)
	}
	if c.cfg.Numbers != nil && own.PhoneSID != "" {
		ctx, cancel := context.WithTimeout(ec.Request().Context(), numberCall)
		defer cancel()
		if err := c.cfg.Numbers.Release(ctx, *own); err != nil {
			return "", err
		}
	}
	return c.numberChange(p, func(tx bot.Tx, cl *bot.Client, now time.Time) (string, error) {
		if cl.Own == nil || cl.Own.PhoneSID != own.PhoneSID {
			return "", bot.Errorf(bot.ECONFLICT, "The number changed meanwhile: look again.")
		}
		n := cl.Own
		n.Note(now, "operator: released %s", n.Phone)
		n.State, n.Since, n.ReleaseAt, n.Tries, n.NextTry, n.Reason = bot.NumberReleased, now, time.Time{}, 0, time.Time{}, ""
		return fmt.Sprintf("%s is released: %s's list sends from the service number.", n.Phone, cl.Name), tx.PutClient(cl)
	})
}
