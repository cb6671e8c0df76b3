package stripe

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"nudges/bot"
)

// PaidJoinLink is the payment link of a phone joining a paid list; token
// is bot.Client.NewPaidJoin's.
func (s *Server) PaidJoinLink(token string) string {
	return s.cfg.publicURL() + PathPaidJoin + token
}

// paidJoin is the start of the /p handlers: the list's client, its plan
// and the live payment link token, or the page that says why there is
// none. A list that stopped charging (PRICE OFF, or payouts no longer
// enabled) has no checkout link; a member's card update link still works.
func (s *Server) paidJoin(c echo.Context) (*bot.Client, *bot.Plan, bot.PaidJoin, error) {
	pay, secret := bot.SplitBillToken(c.Param("token"))
	cl, p, err := s.linkClient(c, pay)
	if cl == nil {
		return nil, nil, bot.PaidJoin{}, err
	}
	j := cl.PaidLink(secret, s.clock.Now())
	closed := cl.Payouts.Price <= 0 || !cl.Payouts.ChargesEnabled || cl.Payouts.Account == ""
	if j.Phone == "" || (closed && j.Customer == "") {
		return nil, nil, bot.PaidJoin{}, s.say(c, http.StatusNotFound, lang(cl), "PageBadLink")
	}
	return cl, p, j, nil
}

// handlePaidJoin is GET /p/{token}: a Checkout Session for the phone's
// monthly payment to the list, paid to the client's connected account less
// NUDGES_PLATFORM_FEE, and a redirect to it. Dev mode: the dev checkout of
// the list. A link preview (HEAD, a messaging app's fetcher) gets a plain
// page and makes nothing.
func (s *Server) handlePaidJoin(c echo.Context) error {
	if preview(c.Request()) {
		return s.say(c, http.StatusOK, bot.English, "PagePaidJoinPreview")
	}
	cl, p, j, err := s.paidJoin(c)
	if cl == nil {
		return err
	}
	l := lang(cl)
	if j.Customer != "" {
		return s.cardUpdate(c, cl, j)
	}
	price := money(cl.Payouts.Price, p.Currency)
	if s.cfg.Dev() {
		return s.render(c, http.StatusOK, l, pageData{
			Lines:  []string{s.t.T(l, "PageDevPaidJoin", map[string]any{"Name": cl.Name, "Keyword": cl.Keyword, "Price": price})},
			Action: PathPaidJoin + c.Param("token"), Button: s.t.T(l, "PageDevPay", nil),
		})
	}
	_, url, err := s.api.ListCheckout(c.Request().Context(), ListJoin{
		Name: cl.Name, Keyword: cl.Keyword, Account: cl.Payouts.Account, Phone: j.Phone,
		PriceMinor: cl.Payouts.Price, Currency: p.Currency, FeePercent: s.cfg.PlatformFee,
		Base: s.PaidJoinLink(c.Param("token")),
	})
	if err != nil {
		s.Log.Error("paid list checkout", "list", cl.Keyword, "err", err)
		return s.say(c, http.StatusBadGateway, l, "PageProviderDown")
	}
	return c.Redirect(http.StatusSeeOther, url)
}

// cardUpdate sends a paying member to the Billing Portal of its
// subscription's customer to update its card. Dev mode: a page saying
// there is no card to update.
func (s *Server) cardUpdate(c echo.Context, cl *bot.Client, j bot.PaidJoin) error {
	l := lang(cl)
	if s.cfg.Dev() {
		return s.say(c, http.StatusOK, l, "PageDevCardUpdate")
	}
	url, err := s.api.MemberPortal(c.Request().Context(), j.Customer, s.PaidJoinLink(c.Param("token"))+"/done", l == bot.Spanish)
	if err != nil {
		s.Log.Error("paid list card update", "list", cl.Keyword, "err", err)
		return s.say(c, http.StatusBadGateway, l, "PageProviderDown")
	}
	return c.Redirect(http.StatusSeeOther, url)
}

// handleDevPaidJoin is POST /p/{token} (dev mode only): the phone pays
// through the same path Stripe's events take: checkout.session.completed,
// then invoice.paid of the first month. Pressing twice applies each once.
func (s *Server) handleDevPaidJoin(c echo.Context) error {
	cl, _, j, err := s.paidJoin(c)
	if cl == nil {
		return err
	}
	if j.Customer != "" { // a card update link pays nothing
		return s.say(c, http.StatusNotFound, lang(cl), "PageBadLink")
	}
	_, secret := bot.SplitBillToken(c.Param("token"))
	now := s.clock.Now()
	sub := bot.DevPaidPrefix + "join_" + secret
	ev := bot.BillingEvent{
		ID: "evt_dev_join_" + secret, Type: bot.EventCheckoutCompleted, Created: now.Unix(),
		List: cl.Keyword, Member: j.Phone, Status: bot.ClientActive,
		CheckoutID: "cs_dev_join_" + secret, SubscriptionID: sub,
	}
	paid := bot.BillingEvent{
		ID: "evt_dev_invoice_" + secret, Type: bot.EventInvoicePaid, Created: now.Unix(),
		List: cl.Keyword, Member: j.Phone, Status: bot.ClientActive, SubscriptionID: sub,
		InvoiceID: "in_dev_" + secret, Amount: cl.Payouts.Price, PeriodStart: now, PeriodEnd: now.AddDate(0, 1, 0),
	}
	for _, e := range []bot.BillingEvent{ev, paid} {
		if err := s.billing.Apply(c.Request().Context(), e); err != nil {
			return fmt.Errorf("dev paid join: %w", err)
		}
	}
	return c.Redirect(http.StatusSeeOther, PathPaidJoin+c.Param("token")+"/done")
}

// paidJoinPage serves a fixed message in the language of the payment
// link's list (its token starts with the client's pay token).
func (s *Server) paidJoinPage(id string) echo.HandlerFunc {
	return func(c echo.Context) error {
		l := bot.English
		pay, _ := bot.SplitBillToken(c.Param("token"))
		if cl, _, err := s.lookup(pay); err == nil && cl != nil {
			l = lang(cl)
		}
		return s.say(c, http.StatusOK, l, id)
	}
}
