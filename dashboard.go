package main

import (
	"time"

	"nudges/bot"
	"nudges/flows"
	"nudges/store"
	dashboard "nudges/webhooks/app"
	"nudges/webhooks/web"
	"nudges/webhooks/webkit"
)

// newDashboard wires the client dashboard (/app) to the SMS side: the same
// billing link, discount line, registration form and setting changes the
// commands use.
func newDashboard(cfg config, db *store.DB, tr bot.Translator, brain *flows.Brain, svc *flows.Service, pages *web.Pages, kick func()) (*dashboard.Dashboard, error) {
	welcome := func(c *bot.Client, text string) string {
		if id, data := flows.SetWelcome(tr, c, text); id != "" {
			return tr.T(bot.English, id, data)
		}
		return ""
	}
	return dashboard.New(dashboard.Config{
		Number: brain.NumberOf, Service: svc, WebhookAllow: cfg.WebhookAllow, PlatformFee: cfg.PlatformFee, Register: pages.Registration(), Billing: brain,
		Discount: func(tx bot.Tx, c *bot.Client, p *bot.Plan, now time.Time) (string, error) {
			return flows.DiscountLine(tx, tr, bot.English, c, p, now)
		},
		Settings: dashboard.Settings{Welcome: welcome, Replies: flows.SetReplies, Language: flows.SetLanguage},
		Web:      webkit.Config{PublicURL: cfg.PublicURL, DevMode: !cfg.twilio(), DefaultLocale: cfg.DefaultLocale, T: tr, Kick: kick},
	}, db)
}
