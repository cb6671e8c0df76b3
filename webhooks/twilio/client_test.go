package twilio

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"

	"nudges/bot"
	"nudges/webhooks/twilio/twiliotest"
)

func testConfig(tw *twiliotest.Server) Config {
	return Config{
		AccountSID: tw.AccountSID, AuthToken: tw.AuthToken, From: testNumber,
		APIBase: tw.URL, PublicURL: testPublic + "/", Timeout: 5 * time.Second,
	}
}

func newTestClient(t *testing.T, cfg Config) *Client {
	t.Helper()
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var outMsg = bot.OutMessage{ID: 7, To: testPhone, Body: "Sunrise Yoga: class at 7 🧘", Kind: bot.KindAnnouncement}

func TestSendPostsTheMessage(t *testing.T) {
	tw := twiliotest.New(t)
	sid, err := newTestClient(t, testConfig(tw)).Send(context.Background(), outMsg)
	if err != nil {
		t.Fatal(err)
	}
	reqs := tw.Sent()
	if len(reqs) != 1 || reqs[0].SID != sid || len(sid) != 34 || sid[:2] != "SM" {
		t.Fatalf("sid %q, requests %+v", sid, reqs)
	}
	r := reqs[0]
	want := map[string]string{
		"To": testPhone, "From": testNumber, "Body": outMsg.Body,
		"StatusCallback": testPublic + "/twilio/status", "MessagingServiceSid": "",
	}
	for k, v := range want {
		if got := r.Form.Get(k); got != v {
			t.Errorf("form %s = %q, want %q", k, got, v)
		}
	}
	if r.AccountSID != tw.AccountSID || r.User != tw.AccountSID || r.Pass != tw.AuthToken {
		t.Errorf("account %q auth %q:%q", r.AccountSID, r.User, r.Pass)
	}
}

func TestSendThroughMessagingService(t *testing.T) {
	tw := twiliotest.New(t)
	cfg := testConfig(tw)
	cfg.MessagingServiceSID = "MG00000000000000000000000000000001"
	if _, err := newTestClient(t, cfg).Send(context.Background(), outMsg); err != nil {
		t.Fatal(err)
	}
	f := tw.Requests()[0].Form
	if f.Get("MessagingServiceSid") != cfg.MessagingServiceSID || f.Has("From") {
		t.Fatalf("form %v", f)
	}
}

// A message from a client's own number goes from that number, even when
// the service number is a Messaging Service.
func TestSendFromAClientsNumber(t *testing.T) {
	tw := twiliotest.New(t)
	cfg := testConfig(tw)
	cfg.MessagingServiceSID = "MG00000000000000000000000000000001"
	m := outMsg
	m.From = "+18335550100"
	if _, err := newTestClient(t, cfg).Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	f := tw.Requests()[0].Form
	if f.Get("From") != "+18335550100" || f.Has("MessagingServiceSid") {
		t.Fatalf("form %v", f)
	}
}

// sendErr sends one message and returns its *bot.SendError.
func sendErr(t *testing.T, c *Client, ctx context.Context) *bot.SendError {
	t.Helper()
	sid, err := c.Send(ctx, outMsg)
	var se *bot.SendError
	if !errors.As(err, &se) {
		t.Fatalf("Send = %q, %v; want a *bot.SendError", sid, err)
	}
	return se
}

func TestSendErrorMapping(t *testing.T) {
	cases := []struct {
		label  string
		script twiliotest.Response
		want   bot.SendError // Message is not compared
	}{
		{"429 is retried", twiliotest.Response{Status: 429, Code: 20429},
			bot.SendError{Status: 429, Code: 20429, Retry: true}},
		{"500 is retried", twiliotest.Response{Status: 500, Code: 20500},
			bot.SendError{Status: 500, Code: 20500, Retry: true}},
		{"502 HTML page is retried", twiliotest.Response{Status: 502, RawBody: "<html>Bad Gateway</html>"},
			bot.SendError{Status: 502, Retry: true}},
		{"21610 opted out at the carrier", twiliotest.Response{Status: 400, Code: bot.CodeOptedOut},
			bot.SendError{Status: 400, Code: 21610}},
		{"other 400 fails", twiliotest.Response{Status: 400, Code: 21211, Message: "Invalid 'To' Phone Number"},
			bot.SendError{Status: 400, Code: 21211}},
		{"401 fails", twiliotest.Response{Status: 401, Code: 20003},
			bot.SendError{Status: 401, Code: 20003}},
		{"reset after the request went is unknown", twiliotest.Response{Drop: true},
			bot.SendError{Unknown: true}},
		{"unreadable 201 is unknown", twiliotest.Response{Status: 201, RawBody: "{not json"},
			bot.SendError{Status: 201, Unknown: true}},
	}
	for _, tc := range cases {
		t.Run(tc.label, func(t *testing.T) {
			tw := twiliotest.New(t)
			tw.Script(tc.script)
			se := sendErr(t, newTestClient(t, testConfig(tw)), context.Background())
			got := *se
			got.Message = ""
			if got != tc.want {
				t.Errorf("got %+v, want %+v (%s)", got, tc.want, se.Message)
			}
			if n := tw.Count(); n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
		})
	}
}

func TestSendTimeoutIsUnknown(t *testing.T) {
	tw := twiliotest.New(t)
	tw.Script(twiliotest.Response{Delay: time.Minute})
	cfg := testConfig(tw)
	cfg.Timeout = 200 * time.Millisecond
	se := sendErr(t, newTestClient(t, cfg), context.Background())
	if !se.Unknown || se.Retry || tw.Count() != 1 {
		t.Fatalf("got %+v after %d requests; want Unknown", se, tw.Count())
	}
}

func TestSendCanceledInFlightIsUnknown(t *testing.T) {
	tw := twiliotest.New(t)
	tw.SetDelay(time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for tw.Count() == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	se := sendErr(t, newTestClient(t, testConfig(tw)), ctx)
	if !se.Unknown || se.Retry {
		t.Fatalf("got %+v; want Unknown", se)
	}
}

func TestSendCanceledBeforeIsRetryAndSendsNothing(t *testing.T) {
	tw := twiliotest.New(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	se := sendErr(t, newTestClient(t, testConfig(tw)), ctx)
	if !se.Retry || se.Unknown || tw.Count() != 0 {
		t.Fatalf("got %+v, %d requests", se, tw.Count())
	}
}

func TestSendConnectionRefusedIsRetry(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cfg := testConfig(twiliotest.New(t))
	cfg.APIBase = "http://" + addr
	se := sendErr(t, newTestClient(t, cfg), context.Background())
	if !se.Retry || se.Unknown || se.Status != 0 {
		t.Fatalf("got %+v; want Retry", se)
	}
}

func TestSendRetryThenSuccess(t *testing.T) {
	tw := twiliotest.New(t)
	tw.Script(twiliotest.Response{Status: http.StatusTooManyRequests, Code: 20429}, twiliotest.OK)
	c := newTestClient(t, testConfig(tw))
	if se := sendErr(t, c, context.Background()); !se.Retry {
		t.Fatalf("first try: %+v", se)
	}
	sid, err := c.Send(context.Background(), outMsg)
	if err != nil || sid == "" || len(tw.Sent()) != 1 || tw.Count() != 2 {
		t.Fatalf("second try: %q %v; %d requests", sid, err, tw.Count())
	}
}

func TestSendRefusesSimulated(t *testing.T) {
	tw := twiliotest.New(t)
	m := outMsg
	m.Simulated = true
	if _, err := newTestClient(t, testConfig(tw)).Send(context.Background(), m); err == nil || tw.Count() != 0 {
		t.Fatalf("simulated message: err %v, %d requests", err, tw.Count())
	}
}

func TestNewClientChecksConfig(t *testing.T) {
	good := testConfig(twiliotest.New(t))
	cases := map[string]func(*Config){
		"no account":           func(c *Config) { c.AccountSID = "" },
		"no token":             func(c *Config) { c.AuthToken = "" },
		"token with symbols":   func(c *Config) { c.AuthToken = "abc-def" },
		"no sender":            func(c *Config) { c.From = "" },
		"relative public URL":  func(c *Config) { c.PublicURL = "nudges.example.com" },
		"API base not http(s)": func(c *Config) { c.APIBase = "ftp://127.0.0.1" },
	}
	for label, mod := range cases {
		cfg := good
		mod(&cfg)
		if _, err := NewClient(cfg); err == nil {
			t.Errorf("%s: NewClient accepted %+v", label, cfg)
		}
	}
	if _, err := NewClient(good); err != nil {
		t.Fatalf("good config refused: %v", err)
	}
}
