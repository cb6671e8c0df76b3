package admin

import (
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"nudges/bot"
	"nudges/store"
	"nudges/webhooks/hookout"
)

// hooksView is /admin/webhooks: the endpoints, the recent deliveries, the
// form, and a new endpoint's secret (shown once, right after creating it).
type hooksView struct {
	Endpoints  []bot.HookEndpoint
	Deliveries []bot.HookDelivery
	Events     []string
	URL        string
	Picked     []string
	Secret     string
	Created    uint64
}

// recentHooks is how many deliveries the page lists.
const recentHooks = 50

func (c *Console) hooksPage(ec echo.Context) error {
	notice, failure := c.kit.TakeFlash(ec)
	return c.renderHooks(ec, http.StatusOK, hooksView{}, notice, failure)
}

func (c *Console) renderHooks(ec echo.Context, status int, v hooksView, notice, failure string) error {
	err := c.db.Read(func(tx *store.Tx) error {
		var err error
		if v.Endpoints, err = tx.HookEndpoints(""); err != nil {
			return err
		}
		v.Deliveries, err = tx.HookDeliveries(0, recentHooks)
		return err
	})
	if err != nil {
		return c.kit.Internal(ec, "webhooks", err)
	}
	v.Events = bot.HookEvents
	return c.kit.Render(ec, status, "webhooks.html", view{Title: "Webhooks", Nav: "webhooks", Notice: notice, Error: failure, D: v})
}

// hookCreate registers an admin endpoint (it hears every client's
// events) after the address rule, and shows its secret once.
func (c *Console) hookCreate(ec echo.Context) error {
	form, err := ec.FormParams()
	if err != nil {
		return c.renderHooks(ec, http.StatusBadRequest, hooksView{}, "", "The form could not be read.")
	}
	f := hookout.ReadForm(form)
	v := hooksView{URL: f.URL, Picked: f.Events}
	g := hookout.Guard{Allow: c.cfg.WebhookAllow}
	e, err := hookout.Register(ec.Request().Context(), c.db, g, bot.HookAdmin, v.URL, v.Picked, c.cfg.Clock.Now())
	if err != nil {
		return c.renderHooks(ec, http.StatusUnprocessableEntity, v, "", "Not added: "+err.Error())
	}
	c.log.Info("console: webhook endpoint added", "endpoint", e.ID, "url", e.URL)
	done := hooksView{Secret: e.Secret, Created: e.ID}
	return c.renderHooks(ec, http.StatusOK, done, "Endpoint added. Copy its secret now: it is not shown again.", "")
}

// hookEndpoint reads the :id of the path: an endpoint of any owner.
func (c *Console) hookEndpoint(ec echo.Context) (*bot.HookEndpoint, error) {
	return hookout.Owned(c.db, "", ec.Param("id"))
}

func (c *Console) hookDelete(ec echo.Context) error {
	e, err := c.hookEndpoint(ec)
	if err != nil {
		return c.kit.Internal(ec, "webhooks", err)
	}
	if e == nil {
		return c.kit.RedirectFlash(ec, "/admin/webhooks", "No such endpoint.", true)
	}
	err = hookout.Delete(c.db, e.ID)
	if err != nil {
		return c.kit.Internal(ec, "webhooks", err)
	}
	c.log.Info("console: webhook endpoint deleted", "endpoint", e.ID, "url", e.URL)
	return c.kit.RedirectFlash(ec, "/admin/webhooks", "Endpoint "+e.URL+" deleted.", false)
}

func (c *Console) hookTest(ec echo.Context) error {
	e, err := c.hookEndpoint(ec)
	if err != nil {
		return c.kit.Internal(ec, "webhooks", err)
	}
	if e == nil || !e.Enabled {
		return c.kit.RedirectFlash(ec, "/admin/webhooks", "No such endpoint, or it is disabled.", true)
	}
	err = hookout.SendTest(c.db, e, c.cfg.Clock.Now())
	if err != nil {
		return c.kit.Internal(ec, "webhooks", err)
	}
	return c.kit.RedirectFlash(ec, "/admin/webhooks", "Test event queued for "+e.URL+": see the deliveries below.", false)
}

// picked is the template's check of an event box.
func (v hooksView) IsPicked(ev string) bool { return slices.Contains(v.Picked, ev) }
