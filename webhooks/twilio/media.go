package twilio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"nudges/bot"
	"nudges/webhooks/netguard"
)

// maxRedirects bounds the hops of one media fetch (Twilio answers with one
// redirect to its CDN).
const maxRedirects = 3

// Media fetches the pictures of inbound MMS from Twilio with the account's
// credentials. It fetches only this account's media URLs on the API base,
// so a forged webhook cannot point it elsewhere; it follows redirects only
// to Twilio's media hosts (and the API base's own host), never to a
// private address, and sends the credentials on the first hop only.
type Media struct {
	cfg    Config
	base   *url.URL
	prefix string // scheme://host/2010-04-01/Accounts/{sid}/
	hc     *http.Client
}

var _ bot.Fetcher = (*Media)(nil)

// errRedirectRefused: Twilio's answer sent the fetch somewhere it may not go.
var errRedirectRefused = errors.New("media redirect refused")

// NewMedia returns the fetcher for cfg. Inside a test binary, like the
// Client, it refuses a base that is not loopback and every hop that would
// leave the machine.
func NewMedia(cfg Config) (*Media, error) {
	base, err := cfg.validateSender()
	if err != nil {
		return nil, err
	}
	if err := netguard.CheckBase(base.String()); err != nil {
		return nil, fmt.Errorf("TWILIO_API_BASE: %w", err)
	}
	m := &Media{cfg: cfg, base: base}
	m.hc = &http.Client{
		Transport:     netguard.PublicOnly(base.Hostname()),
		Timeout:       cfg.timeout(),
		CheckRedirect: m.checkRedirect,
	}
	m.prefix = base.Scheme + "://" + base.Host + "/2010-04-01/Accounts/" + cfg.AccountSID + "/"
	return m, nil
}

// checkRedirect follows at most maxRedirects hops, each to an allowed host,
// and strips the credentials: Go would resend them to the same host name
// on another port.
func (m *Media) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return errors.New("too many redirects")
	}
	if !m.redirectAllowed(req.URL) {
		return fmt.Errorf("%w: %s is not a Twilio media host", errRedirectRefused, req.URL.Redacted())
	}
	req.Header.Del("Authorization")
	return nil
}

// redirectAllowed reports whether a redirect may go to u: over https to
// api.twilio.com or a *.twiliocdn.com host, or to the API base's host name
// (a local fake in tests) with the base's scheme.
func (m *Media) redirectAllowed(u *url.URL) bool {
	host := strings.ToLower(u.Hostname())
	if u.Scheme == m.base.Scheme && host == strings.ToLower(m.base.Hostname()) {
		return true
	}
	return u.Scheme == "https" && (host == "api.twilio.com" || strings.HasSuffix(host, ".twiliocdn.com"))
}

// Fetch implements bot.Fetcher: it streams the picture at raw, reading at
// most limit bytes (bot.ErrTooBig past that).
func (m *Media) Fetch(ctx context.Context, raw string, limit int64) ([]byte, error) {
	u, err := url.Parse(raw)
	if err != nil || !strings.HasPrefix(u.Scheme+"://"+u.Host+u.EscapedPath(), m.prefix) {
		return nil, fmt.Errorf("media URL %.120q is not one of this Twilio account's", raw)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("media request: %w", err)
	}
	req.SetBasicAuth(m.cfg.AccountSID, m.cfg.AuthToken)
	resp, err := m.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch media: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch media: Twilio answered %s", resp.Status)
	}
	if resp.ContentLength > limit {
		return nil, bot.ErrTooBig
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("read media: %w", err)
	case int64(len(data)) > limit:
		return nil, bot.ErrTooBig
	}
	return data, nil
}
