package twilio

import (
	"net/http"
	"net/url"

	"nudges/webhooks/netguard"
)

// ErrNotLoopback is netguard's: the Client refuses to leave the machine
// from a test binary.
var ErrNotLoopback = netguard.ErrNotLoopback

// rewriteTransport sends every request to base's scheme and host, keeping
// the path and query the SDK built (it always targets api.twilio.com).
type rewriteTransport struct {
	base *url.URL
	next http.RoundTripper
}

func (t *rewriteTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.URL.Scheme, r.URL.Host, r.Host = t.base.Scheme, t.base.Host, ""
	return t.next.RoundTrip(r)
}
