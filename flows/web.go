package flows

import (
	"fmt"
	"strings"

	"nudges/bot"
)

// newWebToken makes the secret of a WEB login link; tests make it
// predictable.
var newWebToken = newPayToken

// web answers a client's WEB (PANEL) with a one-time link that signs it in
// to its dashboard, valid bot.WebLinkTTL; a new one ends the last. A client
// that has not paid yet hears HELP's payment link (the dashboard opens once
// it has). From anyone else WEB is no command: handled reports false and
// the text goes on as any other word would (a list's keyword, a miss).
func (b *Brain) web(tc *turnCtx) (handled bool, err error) {
	c := tc.client
	switch {
	case c == nil:
		return false, nil
	case !c.MaySignIn():
		return true, b.helpUnpaid(tc)
	}
	secret, err := newWebToken()
	if err != nil {
		return true, fmt.Errorf("web token: %w", err)
	}
	if c.PayToken == "" {
		if c.PayToken, err = newPayToken(); err != nil {
			return true, err
		}
	}
	token := c.NewWebLink(secret, tc.Now)
	if err := tc.Tx.PutClient(c); err != nil {
		return true, fmt.Errorf("save web link of %s: %w", c.Phone, err)
	}
	link := strings.TrimRight(b.PublicURL, "/") + "/app/login/" + token
	tc.Say("WebLink", map[string]any{"Link": link, "Minutes": int(bot.WebLinkTTL.Minutes())})
	return true, nil
}
