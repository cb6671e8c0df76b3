package web

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"nudges/bot"
)

// maxCode is the longest code or token a path may carry; longer ones are
// not ours and get the 404 without a lookup.
const maxCode = 32

// previewAgents are the user agents of link-preview fetchers: chat apps
// and social sites open a link to draw its card, and iMessage sends one
// that names facebookexternalhit and Twitterbot. None counts as a click.
var previewAgents = []string{
	"facebookexternalhit", "facebot", "facebookcatalog", "slackbot", "slack-imgproxy", "twitterbot",
	"whatsapp", "applebot", "googlebot", "google-pagerenderer", "googleother", "telegrambot",
	"discordbot", "skypeuripreview", "linkedinbot", "pinterest", "redditbot", "embedly",
	"bingbot", "bingpreview", "microsoftpreview", "vkshare", "iframely", "viber", "snapchat",
	"mastodon", "yandexbot", "duckduckbot", "baiduspider", "crawler", "spider", "preview",
}

// scriptAgents are HTTP libraries and command-line tools: not people, so
// not clicks, but not previews either (someone may download with curl).
var scriptAgents = []string{"go-http-client", "curl/", "wget/", "python-requests", "python-urllib"}

// IsPreview reports whether a request comes from a link-preview fetcher,
// a browser's prefetch or a script rather than a person opening the link.
func IsPreview(r *http.Request) bool {
	ua := strings.ToLower(r.UserAgent())
	return ua == "" || IsFetcher(r) || containsAny(ua, scriptAgents)
}

// IsFetcher reports whether a request is a link preview or a prefetch: a
// HEAD, a request marked as a prefetch, or a known preview fetcher's user
// agent. A one-time link must not be used up by one (the chat app's server
// would get what the link gives, and the person a dead link).
func IsFetcher(r *http.Request) bool {
	if r.Method == http.MethodHead || r.Header.Get("Sec-Purpose") != "" || r.Header.Get("Purpose") == "prefetch" {
		return true
	}
	return containsAny(strings.ToLower(r.UserAgent()), previewAgents)
}

func containsAny(s string, subs []string) bool {
	for _, a := range subs {
		if strings.Contains(s, a) {
			return true
		}
	}
	return false
}

// follow serves GET /l/{code}: 302 to the announcement's URL, with one
// click counted per client address per bot.ClickWindow.
func (p *Pages) follow(c echo.Context) error {
	code := c.Param("code")
	if !bot.IsCode(code, maxCode) {
		return p.notFound(c)
	}
	r := c.Request()
	u, found, err := p.cfg.Links.FollowLink(code, p.clickVisitor(r), !IsPreview(r), p.cfg.Clock.Now(), bot.ClickWindow)
	switch {
	case err != nil:
		return p.internal(c, "follow link", err)
	case !found:
		return p.notFound(c)
	}
	c.Response().Header().Set("Cache-Control", "no-store") // every open comes back to be counted
	c.Response().Header().Set("Referrer-Policy", "no-referrer")
	return c.Redirect(http.StatusFound, u)
}

// picture serves GET /m/{token}: a kept MMS picture, for the carriers that
// fetch it and the subscribers who get its link.
func (p *Pages) picture(c echo.Context) error {
	token := c.Param("token")
	if !bot.IsCode(token, maxCode) {
		return p.notFound(c)
	}
	ct, data, found, err := p.cfg.Pictures.Picture(token)
	switch {
	case err != nil:
		return p.internal(c, "picture", err)
	case !found:
		return p.notFound(c)
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "public, max-age=86400")
	h.Set("X-Content-Type-Options", "nosniff")
	return c.Blob(http.StatusOK, ct, data)
}
