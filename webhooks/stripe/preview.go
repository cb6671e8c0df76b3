package stripe

import (
	"net/http"
	"strings"
)

// previewAgents are substrings of the User-Agent of the fetchers that
// messaging apps and social sites send to draw a link preview (iMessage
// calls itself facebookexternalhit and Twitterbot).
var previewAgents = []string{
	"facebookexternalhit", "facebot", "twitterbot", "whatsapp", "slackbot", "slack-imgproxy",
	"telegrambot", "discordbot", "linkedinbot", "skypeuripreview", "applebot", "googlebot",
	"bingbot", "embedly", "pinterest", "redditbot", "viber", "snapchat", "mastodon", "iframely",
}

// preview reports whether r is a link preview rather than a person
// opening the link: a HEAD request, or a known preview fetcher.
func preview(r *http.Request) bool {
	if r.Method == http.MethodHead {
		return true
	}
	ua := strings.ToLower(r.UserAgent())
	for _, a := range previewAgents {
		if strings.Contains(ua, a) {
			return true
		}
	}
	return false
}
