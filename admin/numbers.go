package admin

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"nudges/bot"
	"nudges/store"
)

// NumberOps is what the console asks of the number provider (Twilio).
type NumberOps interface {
	bot.NumberAssigner
	Release(ctx context.Context, n bot.OwnNumber) error
}

// numberCall bounds one provider call from a console action.
const numberCall = 30 * time.Second

// clientView is a client's page: the client, its plan and its number.
type clientView struct {
	Client   *bot.Client
	PlanName string
	Rate     float64 // the number's effective rate
	CanCall  bool    // a provider is configured (assign, release)
}

// clientPath is the console page of client p.
func clientPath(p bot.Phone) string { return "/admin/clients/" + url.PathEscape(string(p)) }

// pathPhone reads the :phone parameter.
func pathPhone(ec echo.Context) (bot.Phone, error) {
	raw, _ := url.PathUnescape(ec.Param("phone"))
	return bot.ParsePhone(raw)
}

// clientPage serves GET /admin/clients/{phone}.
func (c *Console) clientPage(ec echo.Context) error {
	p, err := pathPhone(ec)
	if err != nil {
		return c.kit.Fail(ec, http.StatusBadRequest, bot.ErrorMessage(err))
	}
	v := clientView{CanCall: c.cfg.Numbers != nil}
	err = c.db.Read(func(tx *store.Tx) error {
		if v.Client, err = tx.Client(p); err != nil || v.Client == nil {
			return err
		}
		plan, err := tx.Plan(v.Client.PlanID)
		if plan != nil {
			v.PlanName = plan.Name
		}
		return err
	})
	if err != nil {
		return c.kit.Internal(ec, "client", err)
	}
	if v.Client == nil {
		return c.kit.Fail(ec, http.StatusNotFound, "No client has the phone "+string(p)+".")
	}
	v.Rate = c.rateOf(v.Client.Own)
	notice, failure := c.kit.TakeFlash(ec)
	return c.kit.Render(ec, http.StatusOK, "client.html", view{Title: v.Client.Name, Nav: "clients", D: v, Notice: notice, Error: failure})
}

// rateOf is n's segments a second: its own, else its kind's default.
func (c *Console) rateOf(n *bot.OwnNumber) float64 {
	switch {
	case n == nil:
		return 0
	case n.Rate > 0:
		return n.Rate
	case n.Kind == bot.NumberTollFree:
		return c.cfg.TollFreeRate
	}
	return c.cfg.LocalRate
}

// numberAction serves POST /admin/clients/{phone}/number/{action}: retry,
// registered, rate, assign or release.
func (c *Console) numberAction(ec echo.Context) error {
	p, err := pathPhone(ec)
	if err != nil {
		return c.kit.Fail(ec, http.StatusBadRequest, bot.ErrorMessage(err))
	}
	var notice string
	switch ec.Param("action") {
	case "retry":
		notice, err = c.numberChange(p, c.retry)
	case "registered":
		notice, err = c.numberChange(p, c.registered)
	case "rate":
		rate, bad := parseRate(ec.FormValue("rate"))
		if bad != "" {
			return c.kit.RedirectFlash(ec, clientPath(p), bad, true)
		}
		notice, err = c.numberChange(p, func(tx bot.Tx, cl *bot.Client, now time.Time) (string, error) {
			notice, err := setRate(cl, rate, now)
			if err == nil {
				err = tx.PutClient(cl)
			}
			return notice, err
		})
	case "assign":
		notice, err = c.assign(ec, p)
	case "release":
		notice, err = c.release(ec, p)
	default:
		return c.kit.Fail(ec, http.StatusNotFound, "No such action.")
	}
	return c.afterNumber(ec, p, notice, err)
}

// afterNumber reports an action's outcome on the client's page.
func (c *Console) afterNumber(ec echo.Context, p bot.Phone, notice string, err error) error {
	switch code := bot.ErrorCode(err); {
	case err == nil:
		return c.kit.RedirectFlash(ec, clientPath(p), notice, false)
	case errors.As(err, new(noClient)):
		return c.kit.Fail(ec, http.StatusNotFound, err.Error())
	case code == bot.EINVALID || code == bot.ECONFLICT || code == bot.ENOTFOUND:
		return c.kit.RedirectFlash(ec, clientPath(p), bot.ErrorMessage(err), true)
	}
	c.log.Error("console: number action", "client", p, "err", err)
	return c.kit.RedirectFlash(ec, clientPath(p), "Twilio did not do it: "+err.Error(), true)
}

// noClient is an action on a phone that is no client's.
type noClient bot.Phone

func (p noClient) Error() string { return "No client has the phone " + string(p) + "." }

// numberChange runs change on the stored client in one write and saves it.
func (c *Console) numberChange(p bot.Phone, change func(bot.Tx, *bot.Client, time.Time) (string, error)) (string, error) {
	var notice string
	now := c.cfg.Clock.Now()
	err := c.db.Write(func(tx *store.Tx) error {
		cl, err := tx.Client(p)
		if err != nil {
			return err
		}
		if cl == nil {
			return noClient(p)
		}
		notice, err = change(tx, cl, now)
		return err
	})
	return notice, err
}

// retry makes a failed provisioning run again now; a client without a
// number (or with a released one) starts one of its plan's kind.
func (c *Console) retry(tx bot.Tx, cl *bot.Client, now time.Time) (string, error) {
	n := cl.Own
	switch {
	case n == nil || n.State == bot.NumberReleased:
		plan, err := tx.Plan(cl.PlanID)
		if err != nil {
			return "", err
		}
		if !bot.StartNumber(cl, plan, now) {
			return "", bot.Errorf(bot.EINVALID, "%s's plan sends from the service number: put it on a local or toll-free plan first.", cl.Name)
		}
		n = cl.Own
	case n.State != bot.NumberProvisioning:
		return "", bot.Errorf(bot.EINVALID, "The number is %s, not being provisioned: nothing to retry.", n.State)
	}
	n.NextTry = time.Time{}
	n.Note(now, "operator: retry provisioning")
	if err := tx.PutClient(cl); err != nil {
		return "", err
	}
	if c.cfg.NumberKick != nil {
		defer c.cfg.NumberKick()
	}
	return "Provisioning runs again now.", nil
}

// registered marks a local number's 10DLC registration done: it becomes
// ready.
func (c *Console) registered(tx bot.Tx, cl *bot.Client, now time.Time) (string, error) {
	n := cl.Own
	if n == nil || n.Kind != bot.NumberLocal || n.Phone == "" || (n.State != bot.NumberVerifying && n.State != bot.NumberRejected) {
		return "", bot.Errorf(bot.EINVALID, "Only a local number waiting for its registration can be marked registered.")
	}
	n.State, n.Since, n.Reason = bot.NumberReady, now, ""
	n.Note(now, "operator: 10DLC registration done")
	if c.cfg.NumberReady != nil {
		return fmt.Sprintf("%s is ready: %s was told.", n.Phone, cl.Name), c.cfg.NumberReady(tx, cl, now)
	}
	return fmt.Sprintf("%s is ready.", n.Phone), tx.PutClient(cl)
}

// parseRate reads a rate field: empty for the kind's default.
func parseRate(s string) (float64, string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, ""
	}
	r, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(r) || r <= 0 || r > 10000 {
		return 0, "The rate is segments per second: a number above 0 and at most 10000, or empty for the default."
	}
	return r, ""
}

func setRate(cl *bot.Client, rate float64, now time.Time) (string, error) {
	if cl.Own == nil || cl.Own.State == bot.NumberReleased {
		return "", bot.Errorf(bot.EINVALID, "%s has no number of its own.", cl.Name)
	}
	cl.Own.Rate = rate
	if rate == 0 {
		cl.Own.Note(now, "operator: rate back to the default")
		return "The number sends at its kind's default rate.", nil
	}
	cl.Own.Note(now, "operator: rate %g segments/s", rate)
	return fmt.Sprintf("The number sends at %g segments per second.", rate), nil
}
