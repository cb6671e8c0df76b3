// Package netguard keeps test binaries on this machine: the HTTP clients of
// the Twilio and Stripe adapters use it so that no test, whatever its
// configuration, can reach a real provider.
package netguard

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"syscall"
	"testing"
	"time"
)

// ErrNotLoopback is returned for any request or connection that would leave
// 127.0.0.0/8 or ::1 from a guarded client.
var ErrNotLoopback = errors.New("refusing to reach a non-loopback host from a test binary")

// Active reports whether clients must be guarded: inside a test binary.
func Active() bool { return testing.Testing() }

// IsLoopbackHost reports whether h is "localhost" or a loopback address.
func IsLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// CheckBase refuses, inside a test binary, a provider base URL that is not
// loopback (so a provider's default is refused there).
func CheckBase(base string) error {
	if !Active() {
		return nil
	}
	u, err := url.Parse(base)
	if err != nil || !IsLoopbackHost(u.Hostname()) {
		return fmt.Errorf("%w: %s (point it at a local fake)", ErrNotLoopback, base)
	}
	return nil
}

// guard fails any request whose URL host is not loopback, before anything
// is resolved or dialled.
type guard struct{ next http.RoundTripper }

func (g guard) RoundTrip(req *http.Request) (*http.Response, error) {
	if !IsLoopbackHost(req.URL.Hostname()) {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, fmt.Errorf("%w: %s", ErrNotLoopback, req.URL.Host)
	}
	return g.next.RoundTrip(req)
}

// Guard wraps next so that requests to other hosts fail.
func Guard(next http.RoundTripper) http.RoundTripper { return guard{next: next} }

// control refuses, before connect(2), any socket whose resolved address is
// not loopback: it holds even for proxies and DNS tricks.
func control(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil || !IsLoopbackHost(host) {
		return fmt.Errorf("%w: dial %s %s", ErrNotLoopback, network, address)
	}
	return nil
}

// Transport is a fresh http.Transport; guarded, its dialer refuses
// non-loopback addresses and it uses no proxy.
func Transport(guarded bool) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = 0
	if guarded {
		d := &net.Dialer{Timeout: 5 * time.Second, Control: control}
		t.DialContext = d.DialContext
		t.Proxy = nil
	}
	return t
}

// LoopbackOnly is a transport that fails every request, and every
// connection, that would leave the machine.
func LoopbackOnly() http.RoundTripper { return Guard(Transport(true)) }

// ForProvider is the transport an adapter's HTTP client should use: plain
// in production, LoopbackOnly inside a test binary.
func ForProvider() http.RoundTripper {
	if Active() {
		return LoopbackOnly()
	}
	return Transport(false)
}
