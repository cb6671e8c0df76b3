package twilio

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"syscall"
	"time"
)

// ErrNotLoopback is returned by the loopback guard for any request or
// connection that would leave 127.0.0.1/::1.
var ErrNotLoopback = errors.New("twilio: refusing to reach a non-loopback host from a test binary")

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

// loopbackGuard fails any request whose URL host is not a loopback address
// or "localhost", before anything is resolved or dialled.
type loopbackGuard struct{ next http.RoundTripper }

func (g loopbackGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	if !isLoopbackHost(req.URL.Hostname()) {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, fmt.Errorf("%w: %s", ErrNotLoopback, req.URL.Host)
	}
	return g.next.RoundTrip(req)
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// loopbackControl refuses, before connect(2), any socket whose resolved
// address is not loopback: it holds even for proxies and DNS tricks.
func loopbackControl(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil || !isLoopbackHost(host) {
		return fmt.Errorf("%w: dial %s %s", ErrNotLoopback, network, address)
	}
	return nil
}

// LoopbackOnly returns a transport that fails every request, and every
// connection, that would leave the machine. The Client uses it whenever it
// runs inside a test binary; other tests may use it for their own clients.
func LoopbackOnly() http.RoundTripper {
	return loopbackGuard{next: newTransport(true)}
}

// newTransport is a fresh http.Transport; guarded, its dialer refuses
// non-loopback addresses and it uses no proxy.
func newTransport(guarded bool) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = 0
	if guarded {
		d := &net.Dialer{Timeout: 5 * time.Second, Control: loopbackControl}
		t.DialContext = d.DialContext
		t.Proxy = nil
	}
	return t
}
