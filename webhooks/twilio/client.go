package twilio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"sync"

	"github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"

	"nudges/bot"
	"nudges/webhooks/netguard"
)

// maxResponse caps how much of a Twilio answer is read.
const maxResponse = 1 << 20

// Client sends SMS through Twilio's Messages API. It never retries: it
// classifies each failure for the dispatcher (see bot.SendError).
type Client struct {
	cfg Config
	rt  http.RoundTripper // rewrite to APIBase → (loopback guard) → transport
}

var _ bot.Sender = (*Client)(nil)

// NewClient checks cfg and returns a Client. Inside a test binary it
// refuses an APIBase that is not loopback (so the default api.twilio.com is
// refused) and guards every request and connection with LoopbackOnly rules:
// no test can reach real Twilio through a Client.
func NewClient(cfg Config) (*Client, error) {
	base, err := cfg.validateSender()
	if err != nil {
		return nil, err
	}
	if err := netguard.CheckBase(base.String()); err != nil {
		return nil, fmt.Errorf("TWILIO_API_BASE: %w", err)
	}
	return &Client{cfg: cfg, rt: &rewriteTransport{base: base, next: netguard.ForProvider()}}, nil
}

// Send posts m to Twilio and returns the message sid. Failures are
// *bot.SendError: Retry when Twilio certainly did not take the message (429,
// 5xx, no connection), Unknown when it may have (timeout or reset after the
// request was on its way), neither for a final refusal (other 4xx; Code
// 21610 means the recipient opted out at the carrier).
func (c *Client) Send(ctx context.Context, m bot.OutMessage) (string, error) {
	if m.Simulated {
		return "", &bot.SendError{Message: "simulated messages never go to Twilio"}
	}
	if err := ctx.Err(); err != nil {
		return "", &bot.SendError{Message: "not sent: " + err.Error(), Retry: true}
	}
	call := &call{ctx: ctx, next: c.rt}
	msg, err := openapi.NewApiServiceWithClient(c.sdk(call)).CreateMessage(c.params(m))
	if err != nil {
		return "", call.classify(err)
	}
	if msg.Sid == nil || *msg.Sid == "" {
		status, _ := call.result()
		return "", &bot.SendError{Status: status, Message: "Twilio answered without a message sid", Unknown: true}
	}
	return *msg.Sid, nil
}

// sdk is a twilio-go client whose requests go through call.
func (c *Client) sdk(call *call) *client.Client {
	sdk := &client.Client{
		Credentials: client.NewCredentials(c.cfg.AccountSID, c.cfg.AuthToken),
		HTTPClient: &http.Client{
			Transport: call,
			Timeout:   c.cfg.timeout(),
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
	}
	sdk.SetAccountSid(c.cfg.AccountSID)
	return sdk
}

func (c *Client) params(m bot.OutMessage) *openapi.CreateMessageParams {
	p := &openapi.CreateMessageParams{}
	p.SetTo(string(m.To))
	p.SetBody(m.Body)
	if m.MediaURL != "" {
		p.SetMediaUrl([]string{m.MediaURL})
	}
	p.SetStatusCallback(c.cfg.StatusCallbackURL())
	switch {
	case m.From != "": // a client's own number (§11)
		p.SetFrom(string(m.From))
	case c.cfg.MessagingServiceSID != "":
		p.SetMessagingServiceSid(c.cfg.MessagingServiceSID)
	default:
		p.SetFrom(c.cfg.From)
	}
	return p
}

// call is the transport of one Send: it ties the request to the caller's
// context, notes whether a connection was obtained (after that the request
// may have reached Twilio) and what status came back, and reads the whole
// response so the SDK can neither leak the connection nor lose the status.
type call struct {
	ctx  context.Context
	next http.RoundTripper

	mu     sync.Mutex
	sent   bool
	status int
}

func (c *call) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(req.Context())
	defer cancel(nil)
	stop := context.AfterFunc(c.ctx, func() { cancel(context.Cause(c.ctx)) })
	defer stop()
	trace := &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { c.set(true, 0) }}
	resp, err := c.next.RoundTrip(req.WithContext(httptrace.WithClientTrace(ctx, trace)))
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	resp.Body.Close()
	c.set(true, resp.StatusCode)
	if err != nil {
		return nil, fmt.Errorf("read Twilio response: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

func (c *call) set(sent bool, status int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent = c.sent || sent
	if status != 0 {
		c.status = status
	}
}

func (c *call) result() (status int, sent bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status, c.sent
}

// classify turns a failed CreateMessage into a *bot.SendError.
func (c *call) classify(err error) *bot.SendError {
	status, sent := c.result()
	se := &bot.SendError{Status: status, Message: err.Error()}
	var te *client.TwilioRestError
	if errors.As(err, &te) {
		se.Code, se.Message = te.Code, te.Message
	}
	switch {
	case !sent && te != nil: // refused by the SDK itself, e.g. bad credentials
	case !sent: // no connection: DNS, refused, TLS, canceled while dialling
		se.Retry = true
	case status == 0: // on its way when it timed out or the connection broke
		se.Unknown = true
	case status == http.StatusTooManyRequests || status >= 500:
		se.Retry = true
	case status < 400: // accepted, but the answer was unreadable
		se.Unknown = true
	}
	return se
}
