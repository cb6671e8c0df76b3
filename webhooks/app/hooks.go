package app

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"nudges/bot"
	"nudges/store"
	"nudges/webhooks/hookout"
)

// Bounds of Settings › Webhooks: endpoints a client may have, and the
// deliveries shown under each endpoint in the list and on its own page.
const (
	maxEndpoints  = 10
	recentInList  = 5
	recentOnePage = 50
)

// hooksView is Settings › Webhooks: the client's endpoints with their
// latest deliveries, the add form, and a new endpoint's secret (on this
// one answer only).
type hooksView struct {
	Tabs      []tab
	Endpoints []endpointRow
	Form      hookout.Form
	Secret    string
	Created   uint64
}

// endpointRow is an endpoint with its latest deliveries.
type endpointRow struct {
	bot.HookEndpoint
	Recent []bot.HookDelivery
}

// hookView is one endpoint's page: its deliveries and its buttons.
type hookView struct {
	Tabs       []tab
	Endpoint   *bot.HookEndpoint
	Deliveries []bot.HookDelivery
}

// hooksPage lists the client's endpoints.
func (d *Dashboard) hooksPage(ec echo.Context, c *bot.Client) error {
	return d.renderHooks(ec, c, http.StatusOK, hooksView{}, "", "")
}

func (d *Dashboard) renderHooks(ec echo.Context, c *bot.Client, status int, v hooksView, notice, failure string) error {
	err := d.db.Read(func(tx *store.Tx) error {
		eps, err := tx.HookEndpoints(c.Phone)
		for _, e := range eps {
			if err != nil {
				break
			}
			row := endpointRow{HookEndpoint: e}
			row.Recent, err = tx.HookDeliveries(e.ID, recentInList)
			v.Endpoints = append(v.Endpoints, row)
		}
		return err
	})
	if err != nil {
		return d.kit.Internal(ec, "webhooks", err)
	}
	v.Tabs = d.settingsTabs("/settings/webhooks")
	return d.renderSettings(ec, c, status, "hooks.html", "Webhooks", v, notice, failure)
}

// hookCreate registers an endpoint for the client's own events, after the
// address rule (https only, no private address unless allowed), and shows
// its secret once.
func (d *Dashboard) hookCreate(ec echo.Context, c *bot.Client) error {
	form, err := ec.FormParams()
	if err != nil {
		return d.renderHooks(ec, c, http.StatusBadRequest, hooksView{}, "", "The form could not be read.")
	}
	v := hooksView{Form: hookout.ReadForm(form)}
	var have []bot.HookEndpoint
	if err := d.db.Read(func(tx *store.Tx) (err error) { have, err = tx.HookEndpoints(c.Phone); return err }); err != nil {
		return d.kit.Internal(ec, "webhooks", err)
	}
	if len(have) >= maxEndpoints {
		return d.renderHooks(ec, c, http.StatusUnprocessableEntity, v, "",
			fmt.Sprintf("You have %d endpoints, the most there may be: delete one first.", maxEndpoints))
	}
	g := hookout.Guard{Allow: d.cfg.WebhookAllow}
	e, err := hookout.Register(ec.Request().Context(), d.db, g, c.Phone, v.Form.URL, v.Form.Events, d.cfg.Web.Clock.Now())
	if err != nil {
		return d.renderHooks(ec, c, http.StatusUnprocessableEntity, v, "", "Not added: "+err.Error())
	}
	d.kit.Log().Info("dashboard: webhook endpoint added", "client", c.Phone, "endpoint", e.ID, "url", e.URL)
	ec.Response().Header().Set("Cache-Control", "no-store")
	return d.renderHooks(ec, c, http.StatusOK, hooksView{Secret: e.Secret, Created: e.ID}, "Endpoint added. Copy its secret now: it is not shown again.", "")
}

// endpoint is the path's :id when it is one of c's endpoints; nil (and
// the caller answers 404) for another client's or none.
func (d *Dashboard) endpoint(ec echo.Context, c *bot.Client) (*bot.HookEndpoint, error) {
	return hookout.Owned(d.db, c.Phone, ec.Param("id"))
}

// hookPage shows one endpoint with its recent deliveries.
func (d *Dashboard) hookPage(ec echo.Context, c *bot.Client) error {
	e, err := d.endpoint(ec, c)
	if err != nil || e == nil {
		return d.missing(ec, "webhook endpoint", err)
	}
	v := hookView{Tabs: d.settingsTabs("/settings/webhooks"), Endpoint: e}
	err = d.db.Read(func(tx *store.Tx) (err error) { v.Deliveries, err = tx.HookDeliveries(e.ID, recentOnePage); return err })
	if err != nil {
		return d.kit.Internal(ec, "webhook deliveries", err)
	}
	return d.renderSettings(ec, c, http.StatusOK, "hook.html", "Webhook endpoint", v, "", "")
}

// hookTest queues a test event for one enabled endpoint of the client's.
func (d *Dashboard) hookTest(ec echo.Context, c *bot.Client) error {
	e, err := d.endpoint(ec, c)
	if err != nil || e == nil {
		return d.missing(ec, "webhook endpoint", err)
	}
	back := fmt.Sprintf("/app/settings/webhooks/%d", e.ID)
	if !e.Enabled {
		return d.kit.RedirectFlash(ec, back, "This endpoint is turned off: turn it on to send a test event.", true)
	}
	if err := hookout.SendTest(d.db, e, d.cfg.Web.Clock.Now()); err != nil {
		return d.kit.Internal(ec, "webhook test", err)
	}
	return d.kit.RedirectFlash(ec, back, "Test event queued: its delivery shows below within a few seconds (reload).", false)
}

// hookDisable and hookEnable turn one of the client's endpoints off and on.
func (d *Dashboard) hookDisable(ec echo.Context, c *bot.Client) error {
	return d.hookSwitch(ec, c, false)
}
func (d *Dashboard) hookEnable(ec echo.Context, c *bot.Client) error {
	return d.hookSwitch(ec, c, true)
}

func (d *Dashboard) hookSwitch(ec echo.Context, c *bot.Client, on bool) error {
	e, err := d.endpoint(ec, c)
	if err != nil || e == nil {
		return d.missing(ec, "webhook endpoint", err)
	}
	if err := hookout.SetEnabled(d.db, e.ID, on, d.cfg.Web.Clock.Now()); err != nil {
		return d.kit.Internal(ec, "webhook switch", err)
	}
	msg := "Endpoint turned off: it gets no events until you turn it on again."
	if on {
		msg = "Endpoint turned on: it gets new events again."
	}
	return d.kit.RedirectFlash(ec, fmt.Sprintf("/app/settings/webhooks/%d", e.ID), msg, false)
}

// hookDelete deletes one of the client's endpoints.
func (d *Dashboard) hookDelete(ec echo.Context, c *bot.Client) error {
	e, err := d.endpoint(ec, c)
	if err != nil || e == nil {
		return d.missing(ec, "webhook endpoint", err)
	}
	if err := hookout.Delete(d.db, e.ID); err != nil {
		return d.kit.Internal(ec, "webhook delete", err)
	}
	d.kit.Log().Info("dashboard: webhook endpoint deleted", "client", c.Phone, "endpoint", e.ID)
	return d.kit.RedirectFlash(ec, "/app/settings/webhooks", "Endpoint "+e.URL+" deleted.", false)
}

// missing answers a lookup that failed (500) or found nothing of the
// client's (404, the same for another client's and for none).
func (d *Dashboard) missing(ec echo.Context, what string, err error) error {
	if err != nil {
		return d.kit.Internal(ec, what, err)
	}
	return d.kit.NotFound(ec)
}
