package stripe

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"nudges/bot"
)

// ConnectLink is the payouts link PAYOUTS texts (flows.Brain); token is
// bot.Client.NewConnectLink's.
func (s *Server) ConnectLink(token string) string {
	return s.cfg.publicURL() + PathConnect + token
}

// connectClient is the start of the connect handlers: the client whose
// live connect link token is, or the page that says why there is none.
func (s *Server) connectClient(c echo.Context) (*bot.Client, error) {
	pay, secret := bot.SplitBillToken(c.Param("token"))
	cl, _, err := s.linkClient(c, pay)
	if cl == nil {
		return nil, err
	}
	if !cl.ConnectLinkValid(secret, s.clock.Now()) {
		return nil, s.say(c, http.StatusNotFound, lang(cl), "PageBadLink")
	}
	return cl, nil
}

// handleConnect is GET /connect/{token}: it makes the client's connected
// account on the first visit (once: the id is kept) and sends the client
// to a fresh Account Link, whose refresh and return URLs come back here.
// Dev mode: the dev onboarding page. A link preview (HEAD, a messaging
// app's fetcher) gets a plain page and makes nothing.
func (s *Server) handleConnect(c echo.Context) error {
	if preview(c.Request()) {
		return s.say(c, http.StatusOK, bot.English, "PageConnectPreview")
	}
	cl, err := s.connectClient(c)
	if cl == nil {
		return err
	}
	l, data := lang(cl), map[string]any{"Keyword": cl.Keyword}
	if cl.Payouts.ChargesEnabled && s.cfg.Dev() {
		return s.render(c, http.StatusOK, l, pageData{Lines: []string{s.t.T(l, "PageConnectDone", data)}})
	}
	if s.cfg.Dev() {
		if _, err := s.saveAccount(cl.PayToken, "acct_dev_"+cl.PayToken); err != nil {
			return err
		}
		return s.render(c, http.StatusOK, l, pageData{
			Lines:  []string{s.t.T(l, "PageDevConnect", data)},
			Action: PathConnect + c.Param("token"), Button: s.t.T(l, "PageDevConnectButton", nil),
		})
	}
	ctx := c.Request().Context()
	account := cl.Payouts.Account
	if account == "" {
		if account, err = s.api.ConnectAccount(ctx, cl); err == nil {
			account, err = s.saveAccount(cl.PayToken, account)
		}
	}
	var url string
	if err == nil {
		url, err = s.api.OnboardingLink(ctx, account, s.ConnectLink(c.Param("token")))
	}
	if err != nil {
		s.Log.Error("connect onboarding", "client", cl.Phone, "err", err)
		return s.say(c, http.StatusBadGateway, l, "PageProviderDown")
	}
	return c.Redirect(http.StatusSeeOther, url)
}

// handleDevConnect is POST /connect/{token} (dev mode only): it marks the
// client's dev account able to take payments through the same path a real
// account.updated takes. Pressing twice applies one event.
func (s *Server) handleDevConnect(c echo.Context) error {
	cl, err := s.connectClient(c)
	if cl == nil {
		return err
	}
	if cl.Payouts.Account == "" {
		return s.say(c, http.StatusNotFound, lang(cl), "PageBadLink")
	}
	ev := bot.BillingEvent{
		ID: "evt_dev_" + cl.Payouts.Account, Type: bot.EventAccountUpdated, Created: s.clock.Now().Unix(),
		ClientPhone: cl.Phone, Account: cl.Payouts.Account, ChargesEnabled: true,
	}
	if err := s.billing.Apply(c.Request().Context(), ev); err != nil {
		return fmt.Errorf("dev onboarding: %w", err)
	}
	return c.Redirect(http.StatusSeeOther, PathConnect+c.Param("token"))
}

// saveAccount keeps account as the client's connected account unless it
// has one already (two taps at once), and returns the one kept.
func (s *Server) saveAccount(payToken, account string) (string, error) {
	kept := account
	err := s.store.Update(func(tx bot.Tx) error {
		cl, err := tx.ClientByPayToken(payToken)
		if err != nil || cl == nil {
			return err
		}
		if cl.Payouts.Account != "" {
			kept = cl.Payouts.Account
			return nil
		}
		cl.Payouts.Account = account
		return tx.PutClient(cl)
	})
	if err != nil {
		return "", fmt.Errorf("save connected account %s: %w", account, err)
	}
	return kept, nil
}
