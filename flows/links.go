package flows

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"nudges/bot"
)

// Tracked links and pictures of SPEC §4.4.
const (
	// MaxTrackedURL is the longest URL made a tracked link; a longer one is
	// sent as written (and its draft is then too long anyway).
	MaxTrackedURL = 2048
	linkCodeLen   = 9 // base62: about 53 random bits
)

// urlPattern finds http(s) URLs in a draft: up to the next space or a
// character no URL in running text holds.
var urlPattern = regexp.MustCompile(`(?i)\bhttps?://[^\s<>"{}|\\^` + "`" + `]+`)

// newLinkCode makes a tracked link's code: short and unguessable. Tests
// replace it.
var newLinkCode = func() (string, error) { return bot.RandomCode(linkCodeLen) }

// trackLinks replaces each http(s) URL in text with base/l/{code}, one code
// per distinct URL, and returns the delivered text and its links. Links
// already on base, and URLs that do not parse, stay as written.
func trackLinks(text, base string) (string, []bot.Link, error) {
	base = strings.TrimRight(base, "/")
	var links []bot.Link
	codes := map[string]string{}
	var failed error
	out := urlPattern.ReplaceAllStringFunc(text, func(raw string) string {
		u, tail := trimURL(raw)
		if failed != nil || !trackable(u, base) {
			return raw
		}
		code, ok := codes[u]
		if !ok {
			if code, failed = newLinkCode(); failed != nil {
				return raw
			}
			codes[u] = code
			links = append(links, bot.Link{Code: code, URL: u})
		}
		return base + "/l/" + code + tail
	})
	return out, links, failed
}

// trimURL splits off punctuation that ends a sentence rather than the URL:
// "see https://x.com/a." and "(https://x.com/a)".
func trimURL(raw string) (u, tail string) {
	u = raw
	for u != "" {
		last := u[len(u)-1]
		switch {
		case strings.IndexByte(".,;:!?'*", last) >= 0:
		case last == ')' && strings.Count(u, "(") < strings.Count(u, ")"):
		case last == ']' && strings.Count(u, "[") < strings.Count(u, "]"):
		default:
			return u, raw[len(u):]
		}
		u = u[:len(u)-1]
	}
	return u, raw[len(u):]
}

// trackable reports whether u is an http(s) URL with a host, short enough
// to keep, and not already one of ours.
func trackable(u, base string) bool {
	if len(u) > MaxTrackedURL || strings.HasPrefix(u, base+"/") {
		return false
	}
	p, err := url.Parse(u)
	if err != nil || p.Host == "" || p.Hostname() == "" {
		return false
	}
	s := strings.ToLower(p.Scheme)
	return s == "http" || s == "https"
}

// deliveredTo is an announcement's text and picture as they go to one
// phone: an MMS with the picture inside the US and Canada, elsewhere the
// text with the picture's link (MMS does not cross borders reliably).
func deliveredTo(a *bot.Announcement, to bot.Phone) (text, mediaURL string) {
	return withPicture(a.Text, a.Media, to)
}

func withPicture(text string, m *bot.Media, to bot.Phone) (string, string) {
	switch {
	case m == nil:
		return text, ""
	case strings.HasPrefix(string(to), "+1"):
		return text, m.URL
	case text == "":
		return m.URL, ""
	}
	return text + "\n" + m.URL, ""
}

// keepAssets registers a's tracked links and claims its picture.
func keepAssets(tx bot.Tx, a *bot.Announcement) error {
	if err := tx.PutLinks(a.ID, a.Links); err != nil {
		return fmt.Errorf("register links: %w", err)
	}
	if a.Media != nil {
		if err := tx.ClaimMedia(a.Media.Token, a.ID); err != nil {
			return fmt.Errorf("claim picture: %w", err)
		}
	}
	return nil
}

// joinPage is the public URL of a client's join page.
func (b *Brain) joinPage(c *bot.Client) string {
	return strings.TrimRight(b.PublicURL, "/") + "/j/" + url.PathEscape(c.Keyword)
}

// link answers LINK and QR: the client's join page and its QR code.
func (b *Brain) link(tc *turnCtx) error {
	c := tc.client
	switch {
	case c == nil:
		tc.Say("LinkNotClient", nil)
		return nil
	case !c.CanBroadcast():
		return b.notActive(tc)
	}
	page := b.joinPage(c)
	tc.Say("JoinPageLink", map[string]any{"URL": page, "QR": page + "/qr.svg", "Keyword": c.Keyword})
	return nil
}
