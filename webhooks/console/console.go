// Package console is the SMS driver used when Twilio is not configured: a
// bot.Sender that prints each outbound message to the log and keeps the most
// recent ones in memory for the admin console. The same type captures the
// messages of simulated phones, which never go through Twilio.
package console

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"nudges/bot"
)

// DefaultKeep is how many messages a Driver remembers when New is given 0.
const DefaultKeep = 1000

// Message is one outbound SMS the driver took.
type Message struct {
	SID       string
	To        bot.Phone
	From      bot.Phone // a client's own number; empty: the service number
	Body      string
	Kind      string
	Simulated bool
	At        time.Time
}

// Driver prints outbound SMS and remembers the last ones. It is safe for
// concurrent use.
type Driver struct {
	log    *slog.Logger
	prefix string // sid prefix: "CON" for the console driver
	clock  bot.Clock

	mu   sync.Mutex
	ring []Message // circular, len ≤ keep
	head int       // index of the oldest message once the ring is full
	keep int
}

var _ bot.Sender = (*Driver)(nil)

// New returns the console SMS driver: it logs to log (slog.Default if nil)
// and keeps the last keep messages (DefaultKeep if 0).
func New(log *slog.Logger, keep int) *Driver {
	return newDriver(log, keep, "CON")
}

// NewCapture returns a driver for simulated phones: like New, but its sids
// start with "SIM" so that captured messages are told apart in the outbox.
func NewCapture(log *slog.Logger, keep int) *Driver {
	return newDriver(log, keep, "SIM")
}

func newDriver(log *slog.Logger, keep int, prefix string) *Driver {
	if log == nil {
		log = slog.Default()
	}
	if keep <= 0 {
		keep = DefaultKeep
	}
	return &Driver{log: log, prefix: prefix, clock: bot.SystemClock{}, keep: keep}
}

// SetClock replaces the clock that stamps messages (tests).
func (d *Driver) SetClock(c bot.Clock) { d.clock = c }

// Send implements bot.Sender: it logs one line and remembers the message.
func (d *Driver) Send(ctx context.Context, m bot.OutMessage) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", &bot.SendError{Message: err.Error(), Retry: true}
	}
	sid, err := d.newSID()
	if err != nil {
		return "", &bot.SendError{Message: err.Error(), Retry: true}
	}
	msg := Message{SID: sid, To: m.To, From: m.From, Body: m.Body, Kind: m.Kind, Simulated: m.Simulated, At: d.clock.Now()}
	d.log.Info("sms out", "to", m.To, "from", m.From, "body", m.Body, "sid", sid, "kind", m.Kind, "simulated", m.Simulated)
	d.mu.Lock()
	if len(d.ring) < d.keep {
		d.ring = append(d.ring, msg)
	} else {
		d.ring[d.head] = msg
		d.head = (d.head + 1) % d.keep
	}
	d.mu.Unlock()
	return sid, nil
}

// newSID returns a sid unique across restarts: the outbox maps sids to
// messages, so a reused one would point at the wrong message.
func (d *Driver) newSID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("console sid: %w", err)
	}
	return d.prefix + hex.EncodeToString(b[:]), nil
}

// Recent returns the last n messages to phone, oldest first; phone "" means
// every phone. n ≤ 0 means all that are kept.
func (d *Driver) Recent(phone bot.Phone, n int) []Message {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []Message
	for i := len(d.ring) - 1; i >= 0 && (n <= 0 || len(out) < n); i-- {
		m := d.ring[(d.head+i)%len(d.ring)]
		if phone == "" || m.To == phone {
			out = append(out, m)
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// Len is how many messages the driver remembers.
func (d *Driver) Len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.ring)
}
