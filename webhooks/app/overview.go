package app

import (
	"github.com/labstack/echo/v4"

	"nudges/bot"
)

// overviewView is the data of the Overview page.
type overviewView struct {
	Client *bot.Client
}

// overview is the dashboard's front page.
func (d *Dashboard) overview(ec echo.Context, c *bot.Client) error {
	return d.render(ec, c, "overview.html", "Overview", overviewView{Client: c})
}
