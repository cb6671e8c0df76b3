package twilio

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"nudges/bot"
)

// Feed lists the outbox messages to one phone with ids above after, oldest
// first: the asynchronous texts a `chat` terminal shows.
type Feed interface {
	Since(p bot.Phone, after uint64) ([]bot.OutMessage, error)
}

// FeedMessage is one entry of GET /dev/messages.
type FeedMessage struct {
	ID uint64 `json:"id"`
	// From is the sender: a client's own number, empty for the service
	// number.
	From      bot.Phone         `json:"from,omitempty"`
	Body      string            `json:"body"`
	Status    bot.MessageStatus `json:"status"`
	CreatedAt time.Time         `json:"created_at"`
}

// ErrNotDev is returned by RegisterDev when Twilio credentials are set.
var ErrNotDev = errors.New("twilio: /dev/messages is served only when TWILIO_AUTH_TOKEN is not set")

// RegisterDev mounts GET /dev/messages?phone=+1555…&after=ID on e, a JSON
// list of FeedMessage. It refuses (ErrNotDev) when an auth token is
// configured: the feed exposes every phone's outbox to anyone who asks.
func (w *Webhooks) RegisterDev(e *echo.Echo, feed Feed) error {
	if !w.dev {
		return ErrNotDev
	}
	e.GET(PathDevFeed, func(c echo.Context) error { return w.handleFeed(c, feed) })
	return nil
}

func (w *Webhooks) handleFeed(c echo.Context, feed Feed) error {
	p, err := bot.ParsePhone(c.QueryParam("phone"))
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "phone: "+bot.ErrorMessage(err))
	}
	var after uint64
	if s := c.QueryParam("after"); s != "" {
		if after, err = strconv.ParseUint(s, 10, 64); err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, "after must be a message id")
		}
	}
	msgs, err := feed.Since(p, after)
	if err != nil {
		w.Log.Error("dev feed", "phone", p, "err", err)
		return echo.NewHTTPError(http.StatusInternalServerError, "could not read the outbox")
	}
	out := make([]FeedMessage, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, FeedMessage{ID: m.ID, From: m.From, Body: m.Body, Status: m.Status, CreatedAt: m.CreatedAt})
	}
	return c.JSON(http.StatusOK, out)
}
