package stripe

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/stripe/stripe-go/v76/webhook"

	"nudges/bot"
)

// Server serves the Stripe webhook, the payment and billing links, and the
// dev checkout when Stripe is not configured.
type Server struct {
	Log *slog.Logger // defaults to slog.Default()

	cfg     Config
	store   bot.Store
	billing bot.Billing
	clock   bot.Clock
	t       bot.Translator
	api     *API       // nil in dev mode
	syncMu  sync.Mutex // one plan sync at a time: no duplicate products
}

// New returns the server for cfg; with cfg.SecretKey empty it serves the dev
// checkout instead of calling Stripe. billing applies the events.
func New(cfg Config, store bot.Store, billing bot.Billing, clock bot.Clock, t bot.Translator) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{Log: slog.Default(), cfg: cfg, store: store, billing: billing, clock: clock, t: t}
	if !cfg.Dev() {
		s.api = NewAPI(cfg)
	}
	return s, nil
}

// API is the Stripe client (plan sync for the console), nil in dev mode.
func (s *Server) API() *API { return s.api }

// PayLink is the short payment link an SMS carries (flows.Payments).
func (s *Server) PayLink(token string) string { return s.cfg.publicURL() + PathPay + token }

// BillingLink is the short billing link an SMS carries (flows.Payments);
// token is bot.Client.NewBillLink's.
func (s *Server) BillingLink(token string) string { return s.cfg.publicURL() + PathBilling + token }

// Register mounts the webhook, the links and, in dev mode only, the dev
// checkout on e.
func (s *Server) Register(e *echo.Echo) {
	e.POST(PathWebhook, s.HandleWebhook, middleware.BodyLimit(BodyLimit))
	e.GET(PathPay+":token", s.handlePay)
	e.GET(PathPay+":token/done", s.page("PagePaid"))
	e.GET(PathPay+":token/canceled", s.page("PageCheckoutCanceled"))
	e.GET(PathBilling+":token", s.handleBilling)
	e.HEAD(PathBilling+":token", s.handleBilling)
	e.GET(PathBilling+":token/done", s.page("PageBillingDone"))
	e.GET(PathConnect+":token", s.handleConnect)
	e.HEAD(PathConnect+":token", s.handleConnect)
	e.GET(PathPaidJoin+":token", s.handlePaidJoin)
	e.HEAD(PathPaidJoin+":token", s.handlePaidJoin)
	e.GET(PathPaidJoin+":token/done", s.paidJoinPage("PagePaidJoinDone"))
	e.GET(PathPaidJoin+":token/canceled", s.paidJoinPage("PagePaidJoinCanceled"))
	if s.cfg.Dev() {
		e.GET(PathDevCheckout+":token", s.handleDevCheckout)
		e.POST(PathDevCheckout+":token", s.handleDevPay)
		e.POST(PathConnect+":token", s.handleDevConnect)
		e.POST(PathPaidJoin+":token", s.handleDevPaidJoin)
	}
}

// HandleWebhook is POST /stripe/webhook: the raw body is verified against
// Stripe-Signature (5-minute tolerance, any API version), read into a
// bot.BillingEvent and applied. Missing or bad signature: 400 and nothing
// changes. A storage failure is a 500, so that Stripe retries.
func (s *Server) HandleWebhook(c echo.Context) error {
	payload, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "unreadable body")
	}
	header := c.Request().Header.Get("Stripe-Signature")
	if header == "" {
		return echo.NewHTTPError(http.StatusBadRequest, "missing Stripe-Signature")
	}
	if s.cfg.WebhookSecret == "" {
		s.Log.Warn("stripe webhook refused: STRIPE_WEBHOOK_SECRET is not set")
		return echo.NewHTTPError(http.StatusBadRequest, "webhook secret not configured")
	}
	secret, err := s.signedWith(payload, header)
	if err != nil {
		s.Log.Warn("stripe webhook refused", "err", err)
		return echo.NewHTTPError(http.StatusBadRequest, "bad signature")
	}
	// Signed by Stripe but not an event this SDK can read: say so, rather
	// than "bad signature", so the operator looks at the right thing.
	e, err := webhook.ConstructEventWithOptions(payload, header, secret,
		webhook.ConstructEventOptions{Tolerance: Tolerance, IgnoreAPIVersionMismatch: true})
	if err != nil {
		s.Log.Error("stripe webhook unreadable", "err", err)
		return echo.NewHTTPError(http.StatusBadRequest, "unreadable event")
	}
	ev, ok, err := billingEvent(e)
	if err != nil {
		s.Log.Error("stripe event unreadable", "id", e.ID, "type", e.Type, "err", err)
		return echo.NewHTTPError(http.StatusBadRequest, "unreadable event")
	}
	if !ok {
		return c.NoContent(http.StatusOK)
	}
	if err := s.billing.Apply(c.Request().Context(), ev); err != nil {
		var be *bot.Error
		if errors.As(err, &be) && be.Code == bot.EINVALID {
			return echo.NewHTTPError(http.StatusBadRequest, be.Message)
		}
		s.Log.Error("stripe event not applied", "id", ev.ID, "type", ev.Type, "err", err)
		return echo.NewHTTPError(http.StatusInternalServerError, "not applied")
	}
	return c.NoContent(http.StatusOK)
}

// signedWith returns the secret payload's Stripe-Signature header was made
// with: the platform endpoint's, or the Connect endpoint's when it has its
// own. Neither: an error.
func (s *Server) signedWith(payload []byte, header string) (string, error) {
	err := webhook.ValidatePayloadWithTolerance(payload, header, s.cfg.WebhookSecret, Tolerance)
	if err == nil {
		return s.cfg.WebhookSecret, nil
	}
	if c := s.cfg.ConnectWebhookSecret; c != "" {
		if webhook.ValidatePayloadWithTolerance(payload, header, c, Tolerance) == nil {
			return c, nil
		}
	}
	return "", err
}
