package netguard

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestLoopbackOnly(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	hc := &http.Client{Transport: ForProvider(), Timeout: 5 * time.Second}
	resp, err := hc.Get(srv.URL)
	if err != nil {
		t.Fatalf("loopback request refused: %v", err)
	}
	resp.Body.Close()
	localhost := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	if resp, err = hc.Get(localhost); err != nil {
		t.Fatalf("localhost request refused: %v", err)
	}
	resp.Body.Close()
	for _, u := range []string{"https://api.twilio.com/2010-04-01/Accounts", "https://api.stripe.com/v1/checkout/sessions", "http://192.0.2.1/"} {
		if _, err := hc.Get(u); !errors.Is(err, ErrNotLoopback) {
			t.Errorf("GET %s: %v; want ErrNotLoopback", u, err)
		}
	}
}

// The guarded dialer checks the resolved address before connect(2), so a
// host name that resolves elsewhere is refused too.
func TestGuardedDialerRefusesRemoteAddresses(t *testing.T) {
	tr := Transport(true)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, addr := range []string{"192.0.2.1:443", "[2001:db8::1]:443", "0.0.0.0:80"} {
		conn, err := tr.DialContext(ctx, "tcp", addr)
		if !errors.Is(err, ErrNotLoopback) {
			if conn != nil {
				conn.Close()
			}
			t.Errorf("dial %s: %v; want ErrNotLoopback", addr, err)
		}
	}
	if tr.Proxy != nil {
		t.Error("guarded transport uses a proxy")
	}
}

func TestCheckBase(t *testing.T) {
	for _, base := range []string{"https://api.twilio.com", "https://api.stripe.com", "http://10.0.0.1:8080", "::"} {
		if err := CheckBase(base); !errors.Is(err, ErrNotLoopback) {
			t.Errorf("CheckBase(%q) = %v, want ErrNotLoopback", base, err)
		}
	}
	for _, base := range []string{"http://127.0.0.1:12111", "http://localhost:9", "http://[::1]:80"} {
		if err := CheckBase(base); err != nil {
			t.Errorf("CheckBase(%q) = %v", base, err)
		}
	}
}
