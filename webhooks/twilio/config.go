// Package twilio is Nudges' Twilio adapter: the inbound SMS and status
// webhooks (signature check, decode, TwiML answer), the outbound client that
// implements bot.Sender on twilio-go, and the `chat` terminal phone with its
// dev-mode outbox feed.
package twilio

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// DefaultAPIBase is where Twilio REST calls go unless TWILIO_API_BASE says
// otherwise.
const DefaultAPIBase = "https://api.twilio.com"

// DefaultTimeout bounds one REST call when Config.Timeout is zero.
const DefaultTimeout = 15 * time.Second

// Paths of the webhooks this package serves.
const (
	PathSMS     = "/twilio/sms"
	PathStatus  = "/twilio/status"
	PathDevFeed = "/dev/messages"
)

// Config is the Twilio side of the service's configuration (SPEC §2).
type Config struct {
	AccountSID          string        // TWILIO_ACCOUNT_SID
	AuthToken           string        // TWILIO_AUTH_TOKEN; when set, webhooks must be signed
	From                string        // TWILIO_FROM_NUMBER
	MessagingServiceSID string        // TWILIO_MESSAGING_SERVICE_SID; wins over From
	APIBase             string        // TWILIO_API_BASE, default DefaultAPIBase
	MessagingAPIBase    string        // TWILIO_MESSAGING_API_BASE, default DefaultMessagingAPIBase
	PublicURL           string        // NUDGES_PUBLIC_URL, e.g. https://sms.example.com
	Timeout             time.Duration // one REST call; default DefaultTimeout
}

// publicURL is PublicURL without a trailing slash.
func (c Config) publicURL() string { return strings.TrimRight(c.PublicURL, "/") }

// StatusCallbackURL is where Twilio posts delivery updates.
func (c Config) StatusCallbackURL() string { return c.publicURL() + PathStatus }

func (c Config) apiBase() string {
	if c.APIBase == "" {
		return DefaultAPIBase
	}
	return strings.TrimRight(c.APIBase, "/")
}

func (c Config) messagingBase() string {
	if c.MessagingAPIBase == "" {
		return DefaultMessagingAPIBase
	}
	return strings.TrimRight(c.MessagingAPIBase, "/")
}

func (c Config) timeout() time.Duration {
	if c.Timeout <= 0 {
		return DefaultTimeout
	}
	return c.Timeout
}

// validateSender checks what NewClient needs, with errors that say what to fix.
func (c Config) validateSender() (*url.URL, error) {
	switch {
	case c.AccountSID == "" || c.AuthToken == "":
		return nil, fmt.Errorf("twilio: TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are both required")
	case !alphanumeric(c.AccountSID) || !alphanumeric(c.AuthToken):
		return nil, fmt.Errorf("twilio: TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN must be letters and digits only")
	case c.From == "" && c.MessagingServiceSID == "":
		return nil, fmt.Errorf("twilio: set TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID")
	}
	if _, err := url.ParseRequestURI(c.publicURL()); err != nil || c.PublicURL == "" {
		return nil, fmt.Errorf("twilio: NUDGES_PUBLIC_URL %q is not an absolute URL", c.PublicURL)
	}
	base, err := url.Parse(c.apiBase())
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("twilio: TWILIO_API_BASE %q must be an http(s) URL like %s", c.APIBase, DefaultAPIBase)
	}
	return base, nil
}

func alphanumeric(s string) bool {
	for _, r := range s {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			return false
		}
	}
	return true
}
