package flows

import (
	"fmt"
	"strings"
	"time"

	"nudges/bot"
)

// CmdPayouts texts a client the link that sets up its paid list's payouts
// (flows/payouts.go).
const CmdPayouts Cmd = "payouts"

// connectLinker is what Payments offers when it serves /connect/{token}.
type connectLinker interface {
	ConnectLink(token string) string
}

// payouts answers PAYOUTS: a fresh connect link, which makes the client's
// connected account on first visit and sends it to Stripe's onboarding.
func (b *Brain) payouts(tc *turnCtx) error {
	c := tc.client
	if c == nil {
		return b.clientOnly(tc, tc.m.Word)
	}
	if err := ensurePayToken(tc.Tx, c); err != nil {
		return err
	}
	link, err := b.connectLink(tc.Tx, c, tc.Now)
	if err != nil {
		return err
	}
	id := "Payouts"
	if c.Payouts.ChargesEnabled {
		id = "PayoutsReady"
	}
	tc.Say(id, map[string]any{"Keyword": c.Keyword, "Link": link})
	return nil
}

// connectLink makes c a fresh connect link, valid for bot.ConnectLinkTTL,
// and saves c. c must have a pay token.
func (b *Brain) connectLink(tx bot.Tx, c *bot.Client, now time.Time) (string, error) {
	secret, err := newBillToken()
	if err != nil {
		return "", err
	}
	token := c.NewConnectLink(secret, now)
	if err := tx.PutClient(c); err != nil {
		return "", fmt.Errorf("save connect link of %s: %w", c.Phone, err)
	}
	if l, ok := b.Payments.(connectLinker); ok {
		return l.ConnectLink(token), nil
	}
	return strings.TrimRight(b.PublicURL, "/") + "/connect/" + token, nil
}

// accountUpdated applies account.updated to c: whether its connected
// account can take payments. An event for another account, or older than
// the last one applied, changes nothing. The client is told once, when
// charges become enabled.
func (b *Billing) accountUpdated(tx bot.Tx, c *bot.Client, ev bot.BillingEvent, now time.Time) (bool, string, error) {
	p := &c.Payouts
	switch {
	case ev.Account == "" || ev.Account != p.Account:
		return false, "another connected account", nil
	case ev.Created < p.EventAt:
		return false, "older than the last account event applied", nil
	}
	was := p.ChargesEnabled
	p.ChargesEnabled, p.EventAt = ev.ChargesEnabled, ev.Created
	if err := tx.PutClient(c); err != nil {
		return false, "", fmt.Errorf("save payouts of %s: %w", c.Phone, err)
	}
	if was || !p.ChargesEnabled {
		return false, "", nil
	}
	ok, err := bot.Text(tx, now, bot.Note{
		To: c.Phone, Kind: bot.KindBilling, Priority: bot.PriorityHigh, Client: c.Locale,
		Body: func(lang string) string {
			return b.t.T(lang, "PayoutsEnabled", map[string]any{"Keyword": c.Keyword})
		},
	})
	if err != nil {
		return false, "", fmt.Errorf("tell %s: %w", c.Phone, err)
	}
	return ok, "", nil
}
