package netguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// ErrNotPublic is returned for a connection to an address that is not on
// the public internet (private, loopback, link-local, and the like) from a
// PublicOnly transport.
var ErrNotPublic = errors.New("refusing to reach a non-public address")

// special are the ranges that are not public beyond what net.IP's own
// predicates know: shared address space (CGNAT), "this network", IETF
// protocol assignments, benchmarking, documentation, NAT64 and discard.
var special = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24", "198.18.0.0/15", "198.51.100.0/24",
		"203.0.113.0/24", "240.0.0.0/4", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32",
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// IsPublic reports whether ip is a global unicast address on the public
// internet: not private, loopback, link-local, multicast, unspecified,
// CGNAT, documentation or another special range (IPv4-mapped IPv6 is read
// as the IPv4 address it maps).
func IsPublic(ip net.IP) bool {
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return false
	}
	a = a.Unmap()
	if !a.IsGlobalUnicast() || a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() {
		return false
	}
	for _, p := range special {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// publicControl refuses, before connect(2), a socket whose resolved address
// is not public. It runs on the address actually dialled, so a name that
// resolves to a private address is caught too.
func publicControl(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if ip := net.ParseIP(host); err == nil && ip != nil && IsPublic(ip) {
		return nil
	}
	return fmt.Errorf("%w: dial %s %s", ErrNotPublic, network, address)
}

// PublicOnly is a transport for fetching from a provider whose answers may
// send us elsewhere (redirects): its dialer reaches only public addresses,
// except for trustedHost (the configured base's host name, which may be a
// local fake or a private gateway: the operator chose it). It uses no
// proxy, so that the address checked is the one connected to. Inside a
// test binary it is also LoopbackOnly.
func PublicOnly(trustedHost string) http.RoundTripper {
	t := Transport(false)
	t.Proxy = nil
	public := publicControl
	var trusted func(string, string, syscall.RawConn) error
	if Active() {
		trusted = control
		public = func(network, address string, c syscall.RawConn) error {
			if err := control(network, address, c); err != nil {
				return err
			}
			return publicControl(network, address, c)
		}
	}
	toTrusted := &net.Dialer{Timeout: 5 * time.Second, Control: trusted}
	toPublic := &net.Dialer{Timeout: 5 * time.Second, Control: public}
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if host, _, err := net.SplitHostPort(addr); err == nil && trustedHost != "" && host == trustedHost {
			return toTrusted.DialContext(ctx, network, addr)
		}
		return toPublic.DialContext(ctx, network, addr)
	}
	if Active() {
		return Guard(t)
	}
	return t
}
