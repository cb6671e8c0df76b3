// Package hookout delivers outbound webhooks: the SSRF guard that checks an
// endpoint when it is registered and the address of every delivery, the
// Standard Webhooks signature, and the leader's delivery worker.
package hookout

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"nudges/webhooks/netguard"
)

// ErrRefused is returned for an endpoint URL or address the guard refuses.
var ErrRefused = errors.New("webhook endpoint refused")

// Guard decides which addresses webhooks may reach: public ones, and
// those in Allow (NUDGES_WEBHOOK_ALLOW: the operator's own network).
type Guard struct {
	Allow []netip.Prefix
	// Resolver looks names up; net.DefaultResolver when nil.
	Resolver *net.Resolver
}

// ParseAllow reads NUDGES_WEBHOOK_ALLOW: comma-separated CIDRs.
func ParseAllow(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			return nil, fmt.Errorf("NUDGES_WEBHOOK_ALLOW: %q is not a CIDR like 10.0.0.0/8 or 127.0.0.1/32 (comma-separated)", part)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// allowed reports whether ip is in Allow.
func (g Guard) allowed(ip netip.Addr) bool {
	ip = ip.Unmap()
	for _, p := range g.Allow {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// ok reports whether a delivery may connect to ip.
func (g Guard) ok(ip netip.Addr) bool {
	return g.allowed(ip) || netguard.IsPublic(net.IP(ip.Unmap().AsSlice()))
}

// CheckURL is the registration rule: an absolute https:// URL (or http://
// when every address it resolves to is allowed) whose host resolves only
// to addresses a delivery may reach.
func (g Guard) CheckURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("%w: %q is not an https:// URL", ErrRefused, raw)
	}
	ips, err := g.resolve(ctx, u.Hostname())
	if err != nil {
		return fmt.Errorf("%w: %s does not resolve: %v", ErrRefused, u.Hostname(), err)
	}
	allAllowed := true
	for _, ip := range ips {
		if !g.ok(ip) {
			return fmt.Errorf("%w: %s resolves to %s, a private, loopback or link-local address (see NUDGES_WEBHOOK_ALLOW)", ErrRefused, u.Hostname(), ip)
		}
		allAllowed = allAllowed && g.allowed(ip)
	}
	if u.Scheme != "https" && !allAllowed {
		return fmt.Errorf("%w: %q must use https://", ErrRefused, raw)
	}
	return nil
}

func (g Guard) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, nil
	}
	r := g.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	ips, err := r.LookupNetIP(ctx, "ip", host)
	if err == nil && len(ips) == 0 {
		err = errors.New("no addresses")
	}
	return ips, err
}

// control refuses, before connect(2), a socket to an address the guard
// refuses: the address actually dialled, whatever the name resolved to.
func (g Guard) control(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err == nil {
		if ip, perr := netip.ParseAddr(host); perr == nil && g.ok(ip) {
			return nil
		}
	}
	return fmt.Errorf("%w: dial %s %s", ErrRefused, network, address)
}

// Client is the HTTP client deliveries use: short timeouts, no proxy, no
// redirects followed, and every connection checked by the guard. Inside a
// test binary it also reaches loopback only.
func (g Guard) Client(timeout time.Duration) *http.Client {
	t := netguard.Transport(false)
	t.Proxy = nil
	t.ResponseHeaderTimeout = timeout
	d := &net.Dialer{Timeout: 5 * time.Second, Control: g.control}
	t.DialContext = d.DialContext
	var rt http.RoundTripper = t
	if netguard.Active() {
		rt = netguard.Guard(t)
	}
	return &http.Client{
		Transport:     rt,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
