package main

import (
	"bytes"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"nudges/bot"
	"nudges/flows"
	"nudges/locales"
	"nudges/store"
	"nudges/store/kv/kvopen"
	"nudges/webhooks/metrics"
	"nudges/webhooks/twilio"
)

// metricsServer is realServer with /metrics, fed by the engine and the
// store as the binary feeds it; retried adds conflict retries to it.
func metricsServer(t *testing.T) (srv *httptest.Server, retried func(int)) {
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
	m := metrics.New(db, "", "test")
	db.SetObserver(m)
	quiet := slog.New(slog.DiscardHandler)
	engine := &bot.Engine{Store: db, Clock: bot.SystemClock{}, T: locales.MustLoad(), Log: quiet, DefaultLocale: bot.English,
		Observer: m, Brain: &flows.Brain{ServiceNumber: "+15550000000", PublicURL: testPublic, Support: testPublic + "/help"}}
	hooks := twilio.NewWebhooks(twilio.Config{}, engine, bot.NewLifecycle(db, locales.MustLoad()))
	hooks.Log, hooks.Observer = quiet, m
	e := echo.New()
	hooks.Register(e)
	m.Register(e)
	srv = httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv, m.Retried
}

// -targets loads running processes at once and reports the turns the
// servers counted and the conflict retries per turn from their /metrics.
func TestTargetsReportTurnsAndRetries(t *testing.T) {
	a, retriedA := metricsServer(t)
	b, _ := metricsServer(t)
	retriedA(7) // as if before the run: not counted
	var out bytes.Buffer
	err := run([]string{"-targets", a.URL + "," + b.URL, "-hot", "-phones", "4", "-max", "30", "-duration", "5s"}, &out)
	if err != nil {
		t.Fatalf("%v\n%s", err, &out)
	}
	for _, want := range []string{"2 process(es)", "every join and leave on YOGA", "turns 60 (by /metrics)", "conflict retries 0 = 0.000 per turn"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, &out)
		}
	}
}

// The hot mode names only YOGA in joins and leaves; the spread mode every
// one of the five lists; the other texts are the mix's.
func TestListBodies(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	seen := map[string]int{}
	for range 2000 {
		body := listBody(r, spreadLists[:1])
		if w := strings.Fields(strings.ToUpper(body)); len(w) == 2 && (w[0] == "JOIN" || w[0] == "LEAVE") && w[1] != "YOGA" {
			t.Fatalf("hot mode sent %q", body)
		}
		seen[listBody(r, spreadLists)]++
	}
	for _, kw := range spreadLists {
		if seen["JOIN "+kw] == 0 || seen["LEAVE "+kw] == 0 {
			t.Errorf("spread mode never joined or left %s: %v", kw, seen)
		}
	}
}

func TestClusterFlagsAreBounded(t *testing.T) {
	for _, args := range [][]string{
		{"-cluster", "x", "-procs", "0"}, {"-cluster", "x", "-procs", "17"}, {"-cluster", "x", "-procs", "2", "-members", "3"},
		{"-cluster", "x", "-procs", "2", "-members", "0"}, {"-cluster", "x", "-port", "80"},
	} {
		if _, err := parseFlags(args); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
	if err := run([]string{"-targets", "http://192.0.2.1:8080"}, io.Discard); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("a non-loopback target: %v", err)
	}
	// The servers accept the URLs (a member's client port needs certs=, a
	// client of it a certificate).
	p := clusterPlan{procs: 4, members: 3, port: 19100, dir: "/d"}
	if u := p.storeURL(4); u != "etcd://127.0.0.1:19105?cert=/d/certs/n4.crt&key=/d/certs/n4.key&ca=/d/certs/ca.crt&max-txn-ops=4096" {
		t.Errorf("process 4 on member 1: %s", u)
	}
	u := p.storeURL(2)
	if !strings.Contains(u, "name=n2&certs=/d/certs&peer=https://127.0.0.1:19107&client=https://127.0.0.1:19108") ||
		!strings.Contains(u, "cluster=n1=https://127.0.0.1:19104,n2=https://127.0.0.1:19107,n3=https://127.0.0.1:19110") {
		t.Errorf("process 2 embeds member 2: %s", u)
	}
	for _, u := range []string{p.storeURL(2), p.storeURL(4), p.clientURL(1, "loadgen")} {
		if _, err := kvopen.Parse(u); err != nil {
			t.Errorf("%s refused: %v", u, err)
		}
	}
}
