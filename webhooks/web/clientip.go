package web

import (
	"net"
	"net/http"

	"github.com/labstack/echo/v4"
)

// ClientIP reads the address a request came from: the socket peer, or,
// when that peer is one of trusted (NUDGES_TRUSTED_PROXIES), the nearest
// X-Forwarded-For entry that is not itself a trusted proxy. Nothing else is
// believed: not loopback, not private networks, not X-Real-IP or
// Forwarded, since any visitor can send those headers. main sets it as the
// echo instance's IPExtractor, so the console's rate limits count the same
// addresses as the click counter.
func ClientIP(trusted []*net.IPNet) echo.IPExtractor {
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range trusted {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// clickVisitor is whom a click is counted for: the client's address, its
// /64 for IPv6 (one home or phone holds a whole /64 and may pick any address
// in it). The browser is not part of it: a second browser on the same
// address is not a second reader.
func (p *Pages) clickVisitor(r *http.Request) string {
	ip := net.ParseIP(p.clientIP(r))
	switch {
	case ip == nil:
		return r.RemoteAddr
	case ip.To4() != nil:
		return ip.String()
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}
