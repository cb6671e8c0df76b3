package admin

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"nudges/bot"
	"nudges/webhooks/webkit"
)

// keysView is the admin API keys page; New holds a key just made, shown
// this once.
type keysView struct {
	Keys    []bot.APIKey
	New     string
	Message string
}

// keysPage lists the admin API keys, revoked ones included.
func (c *Console) keysPage(ec echo.Context) error {
	return c.renderKeys(ec, http.StatusOK, keysView{})
}

func (c *Console) renderKeys(ec echo.Context, status int, v keysView) error {
	keys, err := bot.APIKeysOf(c.db, "")
	if err != nil {
		return c.kit.Internal(ec, "api keys", err)
	}
	v.Keys = keys
	return c.kit.Render(ec, status, "keys.html", view{Title: "API keys", D: v})
}

// keyCreate makes an admin API key and shows it once.
func (c *Console) keyCreate(ec echo.Context) error {
	admin := webkit.Who(ec)
	token, _, err := bot.CreateAPIKey(c.db, c.cfg.Clock.Now(), "", admin, ec.FormValue("name"))
	if bot.ErrorCode(err) == bot.EINVALID {
		return c.renderKeys(ec, http.StatusUnprocessableEntity, keysView{Message: bot.ErrorMessage(err)})
	}
	if err != nil {
		return c.kit.Internal(ec, "create api key", err)
	}
	ec.Response().Header().Set("Cache-Control", "no-store")
	return c.renderKeys(ec, http.StatusOK, keysView{New: token})
}

// keyRevoke revokes an admin API key.
func (c *Console) keyRevoke(ec echo.Context) error {
	id := ec.FormValue("id")
	err := bot.RevokeAPIKey(c.db, c.cfg.Clock.Now(), id, "")
	if bot.ErrorCode(err) == bot.ENOTFOUND {
		return c.renderKeys(ec, http.StatusNotFound, keysView{Message: "No such key."})
	}
	if err != nil {
		return c.kit.Internal(ec, "revoke api key", err)
	}
	return c.renderKeys(ec, http.StatusOK, keysView{Message: "The key is revoked."})
}
