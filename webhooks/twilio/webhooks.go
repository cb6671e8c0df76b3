package twilio

import (
	"context"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"nudges/bot"
)

// BodyLimit is the largest webhook body accepted (65,536 bytes); larger ones
// get 413. Note echo's "64K" would mean 64,000 bytes.
const BodyLimit = "64KiB"

// Webhooks serves Twilio's inbound-message and status-callback webhooks.
// Each request goes verify → decode → convert to bot types → act → respond.
type Webhooks struct {
	Log *slog.Logger // defaults to slog.Default()
	// Observer hears rejected signatures and delivery receipts (metrics);
	// nil is none. Turns are the handler's to report.
	Observer bot.Observer

	signer  signer
	handler bot.Handler
	status  StatusSink
	dev     bool // no auth token: the dev feed may be served
}

// NewWebhooks returns the webhooks for cfg. With cfg.AuthToken set, every
// request must carry a valid X-Twilio-Signature computed over
// cfg.PublicURL + path (+ query) and the POST form.
func NewWebhooks(cfg Config, handler bot.Handler, status StatusSink) *Webhooks {
	return &Webhooks{
		Log:     slog.Default(),
		signer:  newSigner(cfg),
		handler: handler,
		status:  status,
		dev:     cfg.AuthToken == "",
	}
}

// Register mounts POST /twilio/sms and POST /twilio/status on e, each with
// the 64 KiB body limit.
func (w *Webhooks) Register(e *echo.Echo) {
	limit := middleware.BodyLimit(BodyLimit)
	e.POST(PathSMS, w.HandleSMS, limit)
	e.POST(PathStatus, w.HandleStatus, limit)
}

// HandleSMS is Twilio's inbound-message webhook: it runs one turn through
// the bot.Handler and answers TwiML with the reply (<Response/> for none).
// A retried MessageSid gets the stored reply from the engine.
func (w *Webhooks) HandleSMS(c echo.Context) error {
	form, err := w.verifiedForm(c)
	if err != nil {
		if he, ok := err.(*echo.HTTPError); ok && he.Code == http.StatusForbidden {
			bot.Observe(w.Observer).Inbound(bot.TurnRejected, 0)
		}
		return err
	}
	in, err := decodeInbound(form)
	if err != nil {
		return err
	}
	if in.OptOutType != "" {
		w.Log.Info("twilio advanced opt-out", "sid", in.SID, "type", in.OptOutType) // no number: the phone may be erased
	}
	reply, err := w.handler.Handle(c.Request().Context(), in)
	if err != nil {
		level := slog.LevelError
		if errors.Is(err, context.Canceled) {
			level = slog.LevelWarn // Twilio gave up waiting; it retries
		}
		w.Log.Log(c.Request().Context(), level, "inbound sms failed", "sid", in.SID, "from", in.From, "err", err)
		return echo.NewHTTPError(http.StatusInternalServerError, "could not handle the message; please retry")
	}
	if in.OptOutType != "" {
		reply.Text = "" // Twilio has answered the phone already: never a second confirmation
	}
	if w.dev && reply.Text != "" { // as the console driver logs every other SMS
		w.Log.Info("sms reply", "to", in.From, "body", reply.Text, "in_sid", in.SID)
	}
	return respondTwiML(c, reply.Text)
}

// verifiedForm parses the POST form and checks its signature. Its errors
// are *echo.HTTPError: 400 malformed, 413 too large, 403 bad signature.
func (w *Webhooks) verifiedForm(c echo.Context) (url.Values, error) {
	r := c.Request()
	ct, _, _ := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
	if ct != echo.MIMEApplicationForm {
		return nil, echo.NewHTTPError(http.StatusBadRequest,
			"malformed form: Content-Type must be "+echo.MIMEApplicationForm)
	}
	if err := r.ParseForm(); err != nil {
		if tooLarge(err) {
			return nil, echo.NewHTTPError(http.StatusRequestEntityTooLarge, "request body over 64 KiB")
		}
		return nil, echo.NewHTTPError(http.StatusBadRequest, "malformed form: "+err.Error())
	}
	if !w.signer.valid(r.URL, r.PostForm, r.Header.Get(SignatureHeader)) {
		w.Log.Warn("twilio webhook with a bad signature", "path", r.URL.Path, "ip", c.RealIP())
		return nil, echo.NewHTTPError(http.StatusForbidden, "missing or invalid "+SignatureHeader)
	}
	return r.PostForm, nil
}

func tooLarge(err error) bool {
	var he *echo.HTTPError
	var me *http.MaxBytesError
	return errors.As(err, &me) || errors.As(err, &he) && he.Code == http.StatusRequestEntityTooLarge
}

// decodeInbound converts Twilio's form to a bot.Inbound.
func decodeInbound(f url.Values) (bot.Inbound, error) {
	sid := f.Get("MessageSid")
	if sid == "" {
		return bot.Inbound{}, echo.NewHTTPError(http.StatusBadRequest, "missing MessageSid")
	}
	if f.Get("From") == "" {
		return bot.Inbound{}, echo.NewHTTPError(http.StatusBadRequest, "missing From")
	}
	from, err := bot.ParsePhone(f.Get("From"))
	if err != nil {
		return bot.Inbound{}, echo.NewHTTPError(http.StatusBadRequest, "From: "+bot.ErrorMessage(err))
	}
	media := 0
	if s := f.Get("NumMedia"); s != "" {
		media, err = strconv.Atoi(s)
		if err != nil || media < 0 {
			return bot.Inbound{}, echo.NewHTTPError(http.StatusBadRequest, "NumMedia must be a whole number")
		}
	}
	return bot.Inbound{
		SID: sid, From: from, To: f.Get("To"), Body: f.Get("Body"), NumMedia: media,
		MediaURL: f.Get("MediaUrl0"), MediaType: f.Get("MediaContentType0"),
		OptOutType: strings.ToUpper(strings.TrimSpace(f.Get("OptOutType"))),
	}, nil
}

// respondTwiML answers with text as one <Message>, or <Response/> if empty.
func respondTwiML(c echo.Context, text string) error {
	return c.Blob(http.StatusOK, echo.MIMETextXMLCharsetUTF8, twimlMessage(text))
}
