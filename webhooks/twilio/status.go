package twilio

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"nudges/bot"
)

// StatusSink moves an outbound message, found by its provider sid, to a new
// delivery status; errorCode is Twilio's ErrorCode (0 when none). *store.DB
// implements it. A sid it does not know may be ignored (nil) or reported as
// a *bot.Error with code bot.ENOTFOUND; either is answered 200.
type StatusSink interface {
	ApplyStatus(sid string, status bot.MessageStatus, errorCode int) error
}

// twilioStatuses maps Twilio's MessageStatus values to ours; a status
// absent here (queued, accepted, sending, scheduled, …) changes nothing.
var twilioStatuses = map[string]bot.MessageStatus{
	"sent":        bot.StatusSent,
	"delivered":   bot.StatusDelivered,
	"read":        bot.StatusDelivered,
	"undelivered": bot.StatusUndelivered,
	"failed":      bot.StatusFailed,
}

// HandleStatus is Twilio's status callback: it applies sent, delivered
// (or read), undelivered and failed to the message and answers 200 with an
// empty body; intermediate statuses are acknowledged and ignored.
func (w *Webhooks) HandleStatus(c echo.Context) error {
	form, err := w.verifiedForm(c)
	if err != nil {
		return err
	}
	sid, raw := form.Get("MessageSid"), form.Get("MessageStatus")
	if sid == "" || raw == "" {
		return echo.NewHTTPError(http.StatusBadRequest, "missing MessageSid or MessageStatus")
	}
	code := 0
	if s := form.Get("ErrorCode"); s != "" {
		if code, err = strconv.Atoi(s); err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, "ErrorCode must be a number")
		}
	}
	status, ok := twilioStatuses[raw]
	if !ok {
		return c.NoContent(http.StatusOK)
	}
	err = w.status.ApplyStatus(sid, status, code)
	switch {
	case err == nil:
		if status != bot.StatusSent { // the dispatcher counted it sent already
			bot.Observe(w.Observer).Outbound(status, 1)
		}
	case bot.ErrorCode(err) == bot.ENOTFOUND:
		w.Log.Info("status for an unknown message", "sid", sid, "status", raw)
	default:
		w.Log.Error("apply message status", "sid", sid, "status", raw, "err", err)
		return echo.NewHTTPError(http.StatusInternalServerError, "could not record the status; please retry")
	}
	return c.NoContent(http.StatusOK)
}
