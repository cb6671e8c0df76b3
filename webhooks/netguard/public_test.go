package netguard

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestIsPublic(t *testing.T) {
	public := []string{"8.8.8.8", "54.172.60.1", "2606:4700::1111", "203.0.112.1"}
	private := []string{"127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
		"0.0.0.0", "::", "::1", "fe80::1", "fc00::1", "fd12::1", "224.0.0.1", "255.255.255.255", "::ffff:10.0.0.1",
		"::ffff:127.0.0.1", "192.0.2.1", "198.51.100.7", "203.0.113.9", "198.18.0.1", "2001:db8::1", "64:ff9b::a00:1"}
	for _, s := range public {
		if !IsPublic(net.ParseIP(s)) {
			t.Errorf("%s is public", s)
		}
	}
	for _, s := range private {
		if IsPublic(net.ParseIP(s)) {
			t.Errorf("%s is not public", s)
		}
	}
}

// TestPublicOnlyControl: the dialer refuses every address that is not
// public, checked on the resolved address (DNS cannot sneak one in).
func TestPublicOnlyControl(t *testing.T) {
	for addr, ok := range map[string]bool{
		"10.0.0.5:443": false, "169.254.169.254:80": false, "127.0.0.1:8080": false, "[::1]:8080": false,
		"[::ffff:10.0.0.1]:80": false, "localhost:80": false, "54.172.60.1:443": true, "[2606:4700::1111]:443": true,
	} {
		err := publicControl("tcp", addr, nil)
		if (err == nil) != ok {
			t.Errorf("dial %s: %v, want ok=%v", addr, err, ok)
		}
		if err != nil && !errors.Is(err, ErrNotPublic) {
			t.Errorf("dial %s: %v, want ErrNotPublic", addr, err)
		}
	}
}

// TestPublicOnlyTrustsOnlyItsHost: a loopback server is reached through
// its configured host name only; another name for it (localhost) is not.
func TestPublicOnlyTrustsOnlyItsHost(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	hc := &http.Client{Transport: PublicOnly("127.0.0.1"), Timeout: 5 * time.Second}
	resp, err := hc.Get(srv.URL)
	if err != nil {
		t.Fatalf("the trusted host: %v", err)
	}
	resp.Body.Close()
	if _, err := hc.Get(strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)); !errors.Is(err, ErrNotPublic) {
		t.Errorf("localhost: %v, want ErrNotPublic", err)
	}
	if _, err := (&http.Client{Transport: PublicOnly("")}).Get(srv.URL); !errors.Is(err, ErrNotPublic) {
		t.Errorf("no trusted host: %v, want ErrNotPublic", err)
	}
}
