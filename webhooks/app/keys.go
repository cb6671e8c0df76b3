package app

import (
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"nudges/bot"
)

// maxLiveKeys bounds a client's keys that are not revoked.
const maxLiveKeys = 20

// keysView is Settings › API keys. New is a key just made: it is on this
// one answer and never again (only its hash is kept).
type keysView struct {
	Tabs []tab
	Keys []bot.APIKey
	New  string
}

// keysPage lists the client's API keys, newest first, revoked ones included.
func (d *Dashboard) keysPage(ec echo.Context, c *bot.Client) error {
	return d.renderKeys(ec, c, http.StatusOK, keysView{}, "", "")
}

func (d *Dashboard) renderKeys(ec echo.Context, c *bot.Client, status int, v keysView, notice, failure string) error {
	keys, err := bot.APIKeysOf(d.db, c.Phone)
	if err != nil {
		return d.kit.Internal(ec, "api keys", err)
	}
	slices.SortStableFunc(keys, func(a, b bot.APIKey) int { return b.Created.Compare(a.Created) })
	v.Keys, v.Tabs = keys, d.settingsTabs("/settings/keys")
	return d.renderSettings(ec, c, status, "keys.html", "API keys", v, notice, failure)
}

// keyCreate makes a key for the client's own list and shows it this once.
func (d *Dashboard) keyCreate(ec echo.Context, c *bot.Client) error {
	name := ec.FormValue("name")
	keys, err := bot.APIKeysOf(d.db, c.Phone)
	if err != nil {
		return d.kit.Internal(ec, "api keys", err)
	}
	if live(keys) >= maxLiveKeys {
		return d.renderKeys(ec, c, http.StatusUnprocessableEntity, keysView{}, "",
			"You have 20 keys in use, the most there may be: revoke one you no longer need first.")
	}
	token, _, err := bot.CreateAPIKey(d.db, d.cfg.Web.Clock.Now(), c.Phone, "", name)
	if bot.ErrorCode(err) == bot.EINVALID {
		return d.renderKeys(ec, c, http.StatusUnprocessableEntity, keysView{}, "", bot.ErrorMessage(err))
	}
	if err != nil {
		return d.kit.Internal(ec, "create api key", err)
	}
	ec.Response().Header().Set("Cache-Control", "no-store")
	return d.renderKeys(ec, c, http.StatusOK, keysView{New: token}, "Key made. Copy it now: it is not shown again.", "")
}

// keyRevoke revokes one of the client's keys; another client's key is 404.
func (d *Dashboard) keyRevoke(ec echo.Context, c *bot.Client) error {
	err := bot.RevokeAPIKey(d.db, d.cfg.Web.Clock.Now(), ec.Param("id"), c.Phone)
	if bot.ErrorCode(err) == bot.ENOTFOUND {
		return d.kit.NotFound(ec)
	}
	if err != nil {
		return d.kit.Internal(ec, "revoke api key", err)
	}
	return d.kit.RedirectFlash(ec, "/app/settings/keys", "The key is revoked: it no longer works.", false)
}

// live counts the keys not revoked.
func live(keys []bot.APIKey) int {
	n := 0
	for _, k := range keys {
		if k.Revoked.IsZero() {
			n++
		}
	}
	return n
}
