package twilio

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

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
