package stripe

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"nudges/bot"
)

// lookup finds the client a link's token belongs to, and its plan.
func (s *Server) lookup(token string) (*bot.Client, *bot.Plan, error) {
	var c *bot.Client
	var p *bot.Plan
	err := s.store.View(func(tx bot.Tx) error {
		var err error
		if c, err = tx.ClientByPayToken(token); err != nil || c == nil {
			return err
		}
		p, err = tx.Plan(c.PlanID)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("look up pay token: %w", err)
	}
	return c, p, nil
}

// linkClient is the start of every link handler: the client whose pay
// token is token, or the page that says why there is none.
func (s *Server) linkClient(c echo.Context, token string) (*bot.Client, *bot.Plan, error) {
	cl, p, err := s.lookup(token)
	if err != nil {
		s.Log.Error("payment link", "err", err)
		return nil, nil, s.render(c, http.StatusInternalServerError, bot.English, pageData{Lines: []string{s.t.T(bot.English, "Oops", nil)}})
	}
	if cl == nil || p == nil {
		return nil, nil, s.say(c, http.StatusNotFound, bot.English, "PageBadLink")
	}
	return cl, p, nil
}

// reopenMargin is how long before Stripe expires a Checkout Session the
// payment link stops sending clients back to it: time to type a card.
const reopenMargin = 15 * time.Minute

// handlePay is GET /pay/{token}: the client's open Checkout Session, or a
// fresh one (or the dev checkout), for an unpaid client; a paid one is told
// to text PLAN (the payment link never expires, so it does not lead to the
// billing portal). Opening the link again — a second tap, a messaging app fetching a
// preview, a payment whose webhook has not arrived yet — returns to the same
// session instead of making another one to pay.
func (s *Server) handlePay(c echo.Context) error {
	cl, p, err := s.linkClient(c, c.Param("token"))
	if cl == nil {
		return err
	}
	switch cl.Status {
	case bot.ClientActive, bot.ClientPastDue:
		return s.say(c, http.StatusOK, lang(cl), "PageAlreadyPaid")
	case bot.ClientSuspended:
		return s.say(c, http.StatusForbidden, lang(cl), "PageSuspended")
	}
	if s.cfg.Dev() { // the dev checkout makes its session when opened
		return c.Redirect(http.StatusSeeOther, PathDevCheckout+cl.PayToken)
	}
	ctx := c.Request().Context()
	if p, err = s.syncedPlan(ctx, p); err == nil {
		var d *bot.Discount
		if d, err = s.syncedDiscount(ctx, s.checkoutDiscount(cl, p), p); err == nil {
			if s.reopenable(cl, p, d) {
				return c.Redirect(http.StatusSeeOther, cl.Checkout.URL)
			}
			var id string
			var open bot.OpenCheckout
			if id, open, err = s.api.Checkout(ctx, cl, p, d); err == nil {
				if _, err := s.saveCheckout(cl.PayToken, id, open); err != nil {
					return err
				}
				return c.Redirect(http.StatusSeeOther, open.URL)
			}
		}
	}
	s.Log.Error("checkout", "client", cl.Phone, "err", err)
	return s.say(c, http.StatusBadGateway, lang(cl), "PageProviderDown")
}

// handleBilling is GET /billing/{token}: a Billing Portal session for a
// paying client (the dev billing page without Stripe); the payment link
// for one who has not paid. The link works for bot.BillLinkTTL and until
// the next one is texted. A link preview (HEAD, or a messaging app's
// fetcher) gets a plain page and opens no session: a portal session can
// cancel the plan.
func (s *Server) handleBilling(c echo.Context) error {
	if preview(c.Request()) {
		return s.say(c, http.StatusOK, bot.English, "PageBillingPreview")
	}
	pay, secret := bot.SplitBillToken(c.Param("token"))
	cl, p, err := s.linkClient(c, pay)
	if cl == nil {
		return err
	}
	l := lang(cl)
	if !cl.BillLinkValid(secret, s.clock.Now()) {
		return s.say(c, http.StatusNotFound, l, "PageBadLink")
	}
	if s.cfg.Dev() {
		data := s.planData(cl, p)
		return s.render(c, http.StatusOK, l, pageData{Lines: []string{
			s.t.T(l, "PageDevBilling", data), s.t.T(l, "PageDevPlan", data),
		}})
	}
	if cl.CustomerID == "" || cl.Status == bot.ClientPending || cl.Status == bot.ClientCanceled {
		return c.Redirect(http.StatusSeeOther, s.PayLink(cl.PayToken))
	}
	url, err := s.api.Portal(c.Request().Context(), cl)
	if err != nil {
		s.Log.Error("billing portal", "client", cl.Phone, "err", err)
		return s.say(c, http.StatusBadGateway, l, "PageProviderDown")
	}
	return c.Redirect(http.StatusSeeOther, url)
}

// reopenable reports whether cl's pending Checkout Session can be opened
// again for plan p and discount d: it charges p's current price with that
// discount and stays open a while yet.
func (s *Server) reopenable(cl *bot.Client, p *bot.Plan, d *bot.Discount) bool {
	o := cl.Checkout
	code := ""
	if d != nil && d.StripePromoID != "" {
		code = d.Code
	}
	return cl.CheckoutID != "" && o.URL != "" && o.Price == p.StripePriceID && o.Code == code &&
		s.clock.Now().Add(reopenMargin).Before(o.Expires)
}

// saveCheckout records the client's pending checkout session, unless the
// client paid meanwhile (a webhook that overtook this request).
func (s *Server) saveCheckout(token, id string, open bot.OpenCheckout) (*bot.Client, error) {
	var cl *bot.Client
	err := s.store.Update(func(tx bot.Tx) error {
		var err error
		if cl, err = tx.ClientByPayToken(token); err != nil || cl == nil {
			return err
		}
		if cl.Status != bot.ClientPending && cl.Status != bot.ClientCanceled {
			return nil
		}
		cl.CheckoutID, cl.Checkout = id, open
		return tx.PutClient(cl)
	})
	if err != nil {
		return nil, fmt.Errorf("save checkout %s: %w", id, err)
	}
	return cl, nil
}

// syncedPlan returns p with a Stripe price that charges what p says. It
// syncs the plan when it has no price yet (the default plan is made before
// Stripe is ever called) or when its price, currency or interval changed
// since its price was made (a console edit whose sync failed).
func (s *Server) syncedPlan(ctx context.Context, p *bot.Plan) (*bot.Plan, error) {
	if ok, err := s.api.PriceCurrent(ctx, p); err != nil || ok {
		return p, err
	}
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	var fresh *bot.Plan
	if err := s.store.View(func(tx bot.Tx) error {
		var err error
		fresh, err = tx.Plan(p.ID)
		return err
	}); err != nil || fresh == nil {
		return nil, fmt.Errorf("reload plan %d: %v", p.ID, err)
	}
	if ok, err := s.api.PriceCurrent(ctx, fresh); err != nil || ok {
		return fresh, err // synced meanwhile
	}
	if err := s.api.SyncPlan(ctx, fresh); err != nil {
		return nil, err
	}
	err := s.store.Update(func(tx bot.Tx) error {
		cur, err := tx.Plan(p.ID)
		if err != nil || cur == nil {
			return err
		}
		cur.StripeProductID = fresh.StripeProductID
		if sameTerms(cur, fresh) {
			cur.StripePriceID = fresh.StripePriceID
		}
		return tx.PutPlan(cur)
	})
	if err != nil {
		return nil, fmt.Errorf("save stripe ids of plan %d: %w", p.ID, err)
	}
	return fresh, nil
}

// sameTerms reports whether plans a and b charge the same: amount, currency
// and interval. A Stripe price made for one serves the other.
func sameTerms(a, b *bot.Plan) bool {
	return a.PriceMinor == b.PriceMinor && a.Currency == b.Currency && a.Interval == b.Interval
}

func randomHex() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func lang(c *bot.Client) string {
	if c.Locale == "" {
		return bot.English
	}
	return c.Locale
}
