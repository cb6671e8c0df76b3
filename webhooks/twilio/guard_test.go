package twilio

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"nudges/webhooks/twilio/twiliotest"
)

// In a test binary the default configuration cannot reach api.twilio.com:
// NewClient refuses any non-loopback base, the default included.
func TestNoClientToRealTwilioInTests(t *testing.T) {
	tw := twiliotest.New(t)
	for _, base := range []string{"", DefaultAPIBase, "https://api.twilio.com:443", "http://10.0.0.1:8080"} {
		cfg := testConfig(tw)
		cfg.APIBase = base
		c, err := NewClient(cfg)
		if !errors.Is(err, ErrNotLoopback) {
			t.Errorf("APIBase %q: NewClient = %v, %v; want ErrNotLoopback", base, c, err)
		}
	}
}

// Even a Client whose base is changed after construction cannot leave the
// machine: the transport refuses the request before any lookup or dial.
func TestClientTransportIsGuarded(t *testing.T) {
	tw := twiliotest.New(t)
	c := newTestClient(t, testConfig(tw))
	real, _ := url.Parse(DefaultAPIBase)
	c.rt.(*rewriteTransport).base = real
	se := sendErr(t, c, context.Background())
	if !strings.Contains(se.Message, ErrNotLoopback.Error()) || se.Unknown || tw.Count() != 0 {
		t.Fatalf("got %+v, %d requests; want a refusal before sending", se, tw.Count())
	}
}

func TestLoopbackOnly(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	hc := &http.Client{Transport: LoopbackOnly(), Timeout: 5 * time.Second}
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
	for _, u := range []string{"https://api.twilio.com/2010-04-01/Accounts", "https://api.stripe.com/", "http://192.0.2.1/"} {
		if _, err := hc.Get(u); !errors.Is(err, ErrNotLoopback) {
			t.Errorf("GET %s: %v; want ErrNotLoopback", u, err)
		}
	}
}

// The guarded dialer checks the resolved address before connect(2), so a
// host name that resolves elsewhere is refused too.
func TestGuardedDialerRefusesRemoteAddresses(t *testing.T) {
	tr := newTransport(true)
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
