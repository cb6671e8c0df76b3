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
// so a forged webhook cannot point it elsewhere; Go drops the credentials
// when Twilio redirects to its CDN on another host.
type Media struct {
	cfg    Config
	prefix string // scheme://host/2010-04-01/Accounts/{sid}/
	hc     *http.Client
}

var _ bot.Fetcher = (*Media)(nil)

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
	hc := &http.Client{
		Transport: netguard.ForProvider(),
		Timeout:   cfg.timeout(),
		CheckRedirect: func(_ *http.Request, via []*http.Request) error {
			if len(via) >= maxRedirects {
				return errors.New("too many redirects")
			}
			return nil
		},
	}
	prefix := base.Scheme + "://" + base.Host + "/2010-04-01/Accounts/" + cfg.AccountSID + "/"
	return &Media{cfg: cfg, prefix: prefix, hc: hc}, nil
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
