package flows

import (
	"fmt"
	"strings"

	"nudges/bot"
)

// newRegisterToken makes the secret of a REGISTER link; tests make it
// predictable.
var newRegisterToken = newPayToken

// register answers a client's REGISTER: for a toll-free number bought and
// not yet submitted (or rejected), a link to the verification form, valid
// bot.RegisterLinkTTL; otherwise where things stand.
func (b *Brain) register(tc *turnCtx) error {
	c := tc.client
	if c == nil {
		tc.Say("RegisterNotClient", nil)
		return nil
	}
	own := c.Own
	data := map[string]any{"Support": b.Support}
	if own != nil {
		data["Number"] = bot.FormatNumber(own.Phone)
		data["When"] = own.Since.Format("Jan 2, 2006")
	}
	switch {
	case own == nil || own.State == bot.NumberReleased:
		tc.Say("RegisterShared", data)
	case own.State == bot.NumberReady:
		tc.Say("RegisterDone", data)
	case own.Kind != bot.NumberTollFree:
		tc.Say("RegisterLocal", data)
	case own.State == bot.NumberProvisioning || own.PhoneSID == "":
		tc.Say("RegisterWait", data)
	case own.VerificationSID != "" && own.State == bot.NumberVerifying:
		tc.Say("RegisterPending", data)
		return b.askNow(tc, c)
	default:
		link, err := b.registerLink(tc, c)
		if err != nil {
			return err
		}
		data["Link"] = link
		tc.Say("RegisterLink", data)
	}
	return nil
}

// registerLink gives c a fresh REGISTER link (the last one stops working)
// and saves c.
func (b *Brain) registerLink(tc *turnCtx, c *bot.Client) (string, error) {
	secret, err := newRegisterToken()
	if err != nil {
		return "", fmt.Errorf("register token: %w", err)
	}
	if c.PayToken == "" {
		if c.PayToken, err = newPayToken(); err != nil {
			return "", err
		}
	}
	token := c.Own.NewRegisterLink(c.PayToken, secret, tc.Now)
	if err := tc.Tx.PutClient(c); err != nil {
		return "", fmt.Errorf("save register link of %s: %w", c.Phone, err)
	}
	return strings.TrimRight(b.PublicURL, "/") + "/r/" + token, nil
}
