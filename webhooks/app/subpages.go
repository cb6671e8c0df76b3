package app

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"nudges/bot"
	"nudges/webhooks/webkit"
)

// mayCreate are the client states that may make keys and endpoints and
// send test events: a suspended or canceled client reads its settings and
// can revoke, turn off or delete, but not add.
var mayCreate = []bot.ClientStatus{bot.ClientActive, bot.ClientPending, bot.ClientPastDue}

// tab is one entry of the Settings sub-menu.
type tab struct {
	Label, Path string // Path under /app
	Current     bool
}

// settingsPages are the Settings sub-pages, in the sub-menu's order.
var settingsPages = []tab{{"General", "/settings", false}, {"API keys", "/settings/keys", false}, {"Webhooks", "/settings/webhooks", false}}

// settingsTabs is the Settings sub-menu: the sub-pages that have a route,
// with current highlighted.
func (d *Dashboard) settingsTabs(current string) []tab {
	have := map[string]bool{}
	for _, r := range d.routes() {
		if r.Method == http.MethodGet {
			have[r.Path] = true
		}
	}
	var out []tab
	for _, t := range settingsPages {
		if have[t.Path] {
			t.Current = t.Path == current
			out = append(out, t)
		}
	}
	return out
}

// renderSettings shows a Settings sub-page with status, the Settings menu
// entry highlighted, and notice or failure (else the flash, if any).
func (d *Dashboard) renderSettings(ec echo.Context, c *bot.Client, status int, page, title string, data any, notice, failure string) error {
	v := webkit.View{Title: title, Nav: "settings", D: data, Layout: layout{Client: c, Nav: d.nav}, Notice: notice, Error: failure}
	if notice == "" && failure == "" {
		v.Notice, v.Error = d.kit.TakeFlash(ec)
	}
	return d.kit.Render(ec, status, page, v)
}
