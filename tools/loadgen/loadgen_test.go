package main

import (
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"nudges/bot"
	"nudges/flows"
	"nudges/locales"
	"nudges/store"
	"nudges/webhooks/twilio"
)

const (
	testToken  = "0123456789abcdef0123456789abcdef"
	testPublic = "https://nudges.test"
)

// realServer is the real webhook, engine, Brain and bbolt file behind an
// httptest server on 127.0.0.1, with the seeded clients.
func realServer(t *testing.T) *httptest.Server {
	t.Helper()
	path := filepath.Join(t.TempDir(), "n.db")
	if err := seed(path, io.Discard); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	quiet := slog.New(slog.DiscardHandler)
	engine := &bot.Engine{Store: db, Clock: bot.SystemClock{}, T: locales.MustLoad(), Log: quiet, DefaultLocale: bot.English,
		Brain: &flows.Brain{ServiceNumber: "+15550000000", PublicURL: testPublic, Support: testPublic + "/help"}}
	hooks := twilio.NewWebhooks(twilio.Config{AuthToken: testToken, PublicURL: testPublic}, engine, bot.NewLifecycle(db, locales.MustLoad()))
	hooks.Log = quiet
	e := echo.New()
	hooks.Register(e)
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv
}

func TestLoadAgainstTheRealWebhookAndBaseline(t *testing.T) {
	srv := realServer(t)
	var out strings.Builder
	err := run([]string{"-url", srv.URL, "-public", testPublic, "-token", testToken,
		"-phones", "8", "-rotate", "4", "-duration", "20s", "-max", "300", "-replay", "0.3"}, &out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{"300 requests", "p99.9", "map[200:300]", "(0 with a different answer)", "minimal net/http handler", "ratio:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "replays 0 ") {
		t.Errorf("no replays were sent:\n%s", out.String())
	}
}

func TestWrongTokenIsReportedAsFailure(t *testing.T) {
	srv := realServer(t)
	var out strings.Builder
	err := run([]string{"-url", srv.URL, "-public", testPublic, "-token", "someoneelsestoken",
		"-phones", "2", "-max", "10", "-baseline=false"}, &out)
	if err == nil || !strings.Contains(out.String(), "403:10") {
		t.Fatalf("err %v, output:\n%s", err, out.String())
	}
}

func TestLoopbackOnly(t *testing.T) {
	for _, u := range []string{"http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:8080", "http://127.8.9.10"} {
		if _, err := loopbackURL(u); err != nil {
			t.Errorf("%s refused: %v", u, err)
		}
	}
	for _, u := range []string{"http://10.0.0.1:8080", "https://api.twilio.com", "http://0.0.0.0:8080", "ftp://127.0.0.1", "127.0.0.1:8080"} {
		if _, err := loopbackURL(u); err == nil {
			t.Errorf("%s accepted", u)
		}
	}
	hc := loopbackClient(1)
	if _, err := hc.Get("http://192.0.2.1:9/"); err == nil || !strings.Contains(err.Error(), "loopback only") {
		t.Errorf("client dialed a non-loopback address: %v", err)
	}
}

func TestFlagsAreBounded(t *testing.T) {
	bad := [][]string{
		{"-duration", "10m"}, {"-duration", "0s"}, {"-max", "0"}, {"-max", "6000000"},
		{"-phones", "0"}, {"-phones", "5000"}, {"-replay", "1"}, {"-rotate", "0"},
		{"-subscribers", "0"}, {"-subscribers", "3000000"}, {"-phase", "0s"}, {"-during", "6m"},
	}
	for _, args := range bad {
		if _, err := parseFlags(args); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
	c, err := parseFlags(nil)
	if err != nil || c.opts.duration != 10*time.Second || c.opts.max != 1_000_000 {
		t.Fatalf("defaults: %+v, %v", c.opts, err)
	}
}

func TestPercentile(t *testing.T) {
	var l []time.Duration
	for i := 1; i <= 1000; i++ {
		l = append(l, time.Duration(i)*time.Millisecond)
	}
	for p, want := range map[float64]time.Duration{0.5: 501 * time.Millisecond, 0.99: 990 * time.Millisecond, 0.999: 999 * time.Millisecond, 1: time.Second} {
		if got := percentile(l, p); got != want {
			t.Errorf("p%g = %s, want %s", p*100, got, want)
		}
	}
	if percentile(nil, 0.5) != 0 {
		t.Error("empty percentile not 0")
	}
}

func TestMixIsMostlyCommands(t *testing.T) {
	seen := map[string]int{}
	r := rand.New(rand.NewPCG(1, 1))
	for range 10_000 {
		seen[pickBody(r)]++
	}
	if seen["LIST"]+seen["list"] < 1500 || seen["HELP"]+seen["INFO"] < 700 {
		t.Errorf("mix off: %v", seen)
	}
}
