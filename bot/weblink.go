package bot

import "time"

// WebLinkTTL is how long a WEB (PANEL) login link to the dashboard works.
const WebLinkTTL = 10 * time.Minute

// MaySignIn reports whether c may sign in to its dashboard: every client
// that has gone past signup (active, past due, suspended, canceled). A
// suspended or canceled client sees its pages and can do only what its
// state allows.
func (c *Client) MaySignIn() bool {
	return c != nil && c.Status != "" && c.Status != ClientPending
}

// NewWebLink gives c a fresh dashboard login link made of secret, valid
// for WebLinkTTL from now, ending the last one; it returns the token the
// link's URL carries (the client's pay token, then the secret).
func (c *Client) NewWebLink(secret string, now time.Time) string {
	c.WebLink = BillLink{Token: secret, Expires: now.Add(WebLinkTTL)}
	return c.PayToken + billSep + secret
}

// UseWebLink reports whether secret is c's live login link at now and, if
// so, ends it: a link opens one session.
func (c *Client) UseWebLink(secret string, now time.Time) bool {
	if !c.WebLink.Live(secret, now) {
		return false
	}
	c.WebLink = BillLink{}
	return true
}

// Live reports whether secret is this link's at now (without using it).
func (l BillLink) Live(secret string, now time.Time) bool {
	return l.Token != "" && secretEqual(secret, l.Token) && now.Before(l.Expires)
}
