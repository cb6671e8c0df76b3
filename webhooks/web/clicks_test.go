package web

import (
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"nudges/bot"
	"nudges/locales"
)

// visitors records the visitor key of every counted click.
type visitors struct{ seen []string }

func (v *visitors) FollowLink(code, visitor string, count bool, now time.Time, window time.Duration) (string, bool, error) {
	if count {
		v.seen = append(v.seen, visitor)
	}
	return "https://example.com/", true, nil
}

// clickSite serves /l/ with trusted as NUDGES_TRUSTED_PROXIES; the echo
// instance's own IPExtractor is left unset (echo's default believes any
// header), so the pages must not depend on it.
func clickSite(t *testing.T, trusted ...string) (*echo.Echo, *visitors) {
	t.Helper()
	var nets []*net.IPNet
	for _, c := range trusted {
		_, n, err := net.ParseCIDR(c)
		if err != nil {
			t.Fatal(err)
		}
		nets = append(nets, n)
	}
	v := &visitors{}
	pages, err := New(Config{Store: nil, Links: v, T: locales.MustLoad(), TrustedProxies: nets,
		Number: func(*bot.Client) string { return "" }, Clock: bot.NewFixedClock(time.Now())})
	if err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	pages.Register(e)
	return e, v
}

func click(e *echo.Echo, peer, ua string, header ...string) {
	r := httptest.NewRequest(http.MethodGet, "/l/abc123", nil)
	r.RemoteAddr = peer
	r.Header.Set("User-Agent", ua)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Add(header[i], header[i+1])
	}
	e.ServeHTTP(httptest.NewRecorder(), r)
}

// distinct counts the different visitor keys: the clicks the store counts
// within one window.
func distinct(keys []string) int {
	m := map[string]bool{}
	for _, k := range keys {
		m[k] = true
	}
	return len(m)
}

func TestClicksCountPerAddressNotPerBrowser(t *testing.T) {
	e, v := clickSite(t)
	for _, ua := range []string{"Mozilla/5.0 A", "Mozilla/5.0 B", "Mozilla/5.0 (iPhone) C"} {
		click(e, "198.51.100.7:5000", ua)
	}
	if n := distinct(v.seen); n != 1 {
		t.Errorf("one address with three browsers counted %d visitors: %q", n, v.seen)
	}
	click(e, "198.51.100.8:5000", "Mozilla/5.0 A")
	if n := distinct(v.seen); n != 2 {
		t.Errorf("a second address: %d visitors", n)
	}
}

func TestClicksIgnoreForwardedAddressesFromUntrustedPeers(t *testing.T) {
	e, v := clickSite(t) // nothing trusted, loopback included
	for _, h := range [][]string{
		{"X-Forwarded-For", "203.0.113.1"}, {"X-Forwarded-For", "203.0.113.2"}, {"X-Real-Ip", "203.0.113.3"},
		{"Forwarded", "for=203.0.113.4"}, {"X-Forwarded-For", "203.0.113.5, 203.0.113.6"},
	} {
		click(e, "127.0.0.1:5000", "Mozilla/5.0", h...)
		click(e, "198.51.100.7:5000", "Mozilla/5.0", h...)
	}
	if n := distinct(v.seen); n != 2 {
		t.Errorf("forged forwarded addresses counted: %d visitors %q", n, v.seen)
	}
}

func TestClicksBelieveTrustedProxies(t *testing.T) {
	e, v := clickSite(t, "127.0.0.0/8", "10.0.0.0/24")
	click(e, "127.0.0.1:5000", "Mozilla/5.0", "X-Forwarded-For", "203.0.113.1")
	click(e, "127.0.0.1:5000", "Mozilla/5.0", "X-Forwarded-For", "203.0.113.2")
	click(e, "10.0.0.9:5000", "Mozilla/5.0", "X-Forwarded-For", "203.0.113.2, 10.0.0.3")       // two trusted hops
	click(e, "127.0.0.1:5000", "Mozilla/5.0", "X-Forwarded-For", "198.51.100.66, 203.0.113.1") // a forged first entry
	click(e, "198.51.100.9:5000", "Mozilla/5.0", "X-Forwarded-For", "203.0.113.77")            // untrusted peer
	want := []string{"203.0.113.1", "203.0.113.2", "203.0.113.2", "203.0.113.1", "198.51.100.9"}
	if len(v.seen) != len(want) {
		t.Fatalf("visitors %q, want %q", v.seen, want)
	}
	for i := range want {
		if v.seen[i] != want[i] {
			t.Errorf("click %d: visitor %q, want %q", i, v.seen[i], want[i])
		}
	}
}

// TestClicksCountAnIPv6HostOnce: addresses of one /64 are one visitor.
func TestClicksCountAnIPv6HostOnce(t *testing.T) {
	e, v := clickSite(t)
	click(e, "[2001:db8:1:2::10]:5000", "Mozilla/5.0")
	click(e, "[2001:db8:1:2:aaaa::99]:5000", "Mozilla/5.0")
	click(e, "[2001:db8:1:3::10]:5000", "Mozilla/5.0")
	if n := distinct(v.seen); n != 2 {
		t.Errorf("IPv6 visitors %q, want 2", v.seen)
	}
}

// TestClientIP: X-Forwarded-For is believed only from a trusted proxy, and
// then only up to the first address that is not one; loopback and private
// networks are not trusted unless listed.
func TestClientIP(t *testing.T) {
	_, lo, _ := net.ParseCIDR("127.0.0.0/8")
	_, lo6, _ := net.ParseCIDR("::1/128")
	cases := []struct {
		trusted         []*net.IPNet
		peer, xff, want string
	}{
		{nil, "127.0.0.1:4000", "203.0.113.9", "127.0.0.1"},
		{nil, "10.0.0.5:4000", "203.0.113.9", "10.0.0.5"},
		{nil, "[fe80::1]:4000", "203.0.113.9", "fe80::1"},
		{[]*net.IPNet{lo, lo6}, "127.0.0.1:4000", "", "127.0.0.1"},
		{[]*net.IPNet{lo, lo6}, "127.0.0.1:4000", "203.0.113.9", "203.0.113.9"},
		{[]*net.IPNet{lo, lo6}, "[::1]:4000", "203.0.113.9, 198.51.100.7", "198.51.100.7"},
		{[]*net.IPNet{lo, lo6}, "198.51.100.7:4000", "203.0.113.9", "198.51.100.7"},
		{[]*net.IPNet{lo, lo6}, "10.0.0.5:4000", "203.0.113.9", "10.0.0.5"},
		{[]*net.IPNet{lo, lo6}, "127.0.0.1:4000", "not an address", "127.0.0.1"},
	}
	for _, c := range cases {
		req := httptest.NewRequest(http.MethodGet, "/admin/login", nil)
		req.RemoteAddr = c.peer
		if c.xff != "" {
			req.Header.Set("X-Forwarded-For", c.xff)
		}
		req.Header.Set("X-Real-Ip", "192.0.2.99")
		if got := ClientIP(c.trusted)(req); got != c.want {
			t.Errorf("trusted %v, peer %s, X-Forwarded-For %q: %s, want %s", c.trusted, c.peer, c.xff, got, c.want)
		}
	}
}
