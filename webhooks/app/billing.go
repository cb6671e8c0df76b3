package app

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"nudges/bot"
)

// Biller makes the billing link PLAN texts (flows.Brain.BillingLink): the
// Billing Portal when the client pays, else its payment link.
type Biller interface {
	BillingLink(tx bot.Tx, c *bot.Client, now time.Time) (link string, portal bool, err error)
}

// billingView is the data of the Billing page.
type billingView struct {
	Client   *bot.Client
	Plan     *bot.Plan
	Discount string // PLAN's discount line, "" when none is in force
	Portal   bool   // the button opens the Billing Portal (else a payment page)
}

// billing shows the plan, the discount in force and a button to the
// Billing Portal or the payment page.
func (d *Dashboard) billing(ec echo.Context, c *bot.Client) error {
	v := billingView{Client: c, Portal: paying(c)}
	now := d.cfg.Web.Clock.Now()
	err := d.db.View(func(tx bot.Tx) error {
		var err error
		if v.Plan, err = tx.Plan(c.PlanID); err != nil {
			return err
		}
		if d.cfg.Discount != nil {
			v.Discount, err = d.cfg.Discount(tx, c, v.Plan, now)
		}
		return err
	})
	if err != nil {
		return d.kit.Internal(ec, "billing", err)
	}
	return d.render(ec, c, "billing.html", "Billing", v)
}

// paying reports whether c has a subscription the Billing Portal manages
// (what BillingLink decides too).
func paying(c *bot.Client) bool {
	return (c.Status == bot.ClientActive || c.Status == bot.ClientPastDue) && c.CustomerID != ""
}

// billingLink makes the link (a fresh portal link ends the one PLAN last
// texted) and sends the browser there. It is a POST, so that showing the
// page makes no link.
func (d *Dashboard) billingLink(ec echo.Context, c *bot.Client) error {
	if d.cfg.Billing == nil {
		return d.kit.RedirectFlash(ec, "/app/billing", "Billing is not available here. Text PLAN for your link.", true)
	}
	var link string
	err := d.db.Update(func(tx bot.Tx) error {
		fresh, err := tx.Client(c.Phone) // as stored now, inside this write
		if err != nil || fresh == nil {
			return err
		}
		link, _, err = d.cfg.Billing.BillingLink(tx, fresh, d.cfg.Web.Clock.Now())
		return err
	})
	if err != nil || link == "" {
		return d.kit.Internal(ec, "billing link", err)
	}
	return ec.Redirect(http.StatusSeeOther, link)
}
