package hookout

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"nudges/bot"
	"nudges/locales"
	"nudges/store"
)

var t0 = time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)

const client bot.Phone = "+15550001111"

// TestSignMatchesStandardWebhooksVector: the specification's published
// test vector (libraries/go/webhook_test.go, TestWebhookSign).
func TestSignMatchesStandardWebhooksVector(t *testing.T) {
	got, err := Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
		time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Fatalf("signature %s, want %s", got, want)
	}
}

func TestBackoffSchedule(t *testing.T) {
	want := []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour, 10 * time.Hour}
	for i, w := range want {
		if got := bot.HookBackoff(i + 1); got != w {
			t.Errorf("after try %d: wait %s, want %s", i+1, got, w)
		}
	}
}

// receiver is a webhook endpoint on 127.0.0.1 answering codes in turn
// (the last one from then on), keeping what it got.
type receiver struct {
	*httptest.Server
	mu    sync.Mutex
	codes []int
	got   []*http.Request
	body  [][]byte
}

func newReceiver(t *testing.T, codes ...int) *receiver {
	r := &receiver{codes: codes}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.got, r.body = append(r.got, req), append(r.body, b)
		code := r.codes[min(len(r.got), len(r.codes))-1]
		w.WriteHeader(code)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got)
}

var loopback = Guard{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")}}

type fixture struct {
	db     *store.DB
	clock  *bot.FixedClock
	worker *Worker
}

func newFixture(t *testing.T, g Guard) *fixture {
	db, err := store.Open(filepath.Join(t.TempDir(), "n.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clock := bot.NewFixedClock(t0)
	q := &bot.HookQueue{Store: db, T: locales.MustLoad(), Default: bot.English}
	w := NewWorker(q, g)
	w.Clock = clock
	return &fixture{db: db, clock: clock, worker: w}
}

// endpoint stores an endpoint without the registration check (as if the
// address changed after it was registered).
func (f *fixture) endpoint(t *testing.T, owner bot.Phone, url string) *bot.HookEndpoint {
	e := &bot.HookEndpoint{Owner: owner, URL: url, Events: bot.HookEvents, Secret: bot.NewHookSecret(), Enabled: true, CreatedAt: t0}
	if err := f.db.Update(func(tx bot.Tx) error { return tx.PutHookEndpoint(e) }); err != nil {
		t.Fatal(err)
	}
	return e
}

func (f *fixture) emit(t *testing.T, owner bot.Phone) {
	err := f.db.Update(func(tx bot.Tx) error {
		return bot.EmitHook(tx, owner, bot.HookReplyReceived, f.clock.Now(), map[string]any{"phone": "+15559998888", "text": "hi"})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) deliveries(t *testing.T) []bot.HookDelivery {
	var out []bot.HookDelivery
	err := f.db.View(func(tx bot.Tx) error {
		var err error
		out, err = tx.HookDeliveries(0, 100)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (f *fixture) pass(t *testing.T) int {
	n, err := f.worker.Pass(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestDeliversSigned: a receiver on 127.0.0.1, allowed, gets the event
// with headers a Standard Webhooks verifier accepts.
func TestDeliversSigned(t *testing.T) {
	rcv := newReceiver(t, 204)
	f := newFixture(t, loopback)
	e, err := Register(context.Background(), f.db, loopback, client, rcv.URL+"/hook", []string{bot.HookReplyReceived}, t0)
	if err != nil {
		t.Fatal(err)
	}
	f.emit(t, client)
	if n := f.pass(t); n != 1 || rcv.count() != 1 {
		t.Fatalf("tried %d, receiver got %d; want 1, 1", n, rcv.count())
	}
	wh, err := standardwebhooks.NewWebhook(e.Secret)
	if err != nil {
		t.Fatal(err)
	}
	req, body := rcv.got[0], rcv.body[0]
	if err := wh.VerifyIgnoringTimestamp(body, req.Header); err != nil {
		t.Fatalf("verify: %v (headers %v)", err, req.Header)
	}
	if !strings.Contains(string(body), `"type":"reply.received"`) || req.Header.Get("Content-Type") != "application/json" {
		t.Errorf("body %s, content type %q", body, req.Header.Get("Content-Type"))
	}
	d := f.deliveries(t)
	if len(d) != 1 || d[0].Status != bot.HookDelivered || d[0].Code != 204 || d[0].MsgID != req.Header.Get("webhook-id") {
		t.Fatalf("rows %+v", d)
	}
}

// TestRetryKeepsWebhookID: a 500 is tried again 5 s later with the same
// webhook-id, and a 200 then delivers it.
func TestRetryKeepsWebhookID(t *testing.T) {
	rcv := newReceiver(t, 500, 200)
	f := newFixture(t, loopback)
	f.endpoint(t, client, rcv.URL)
	f.emit(t, client)
	f.pass(t)
	d := f.deliveries(t)[0]
	if d.Status != bot.HookPending || d.Code != 500 || !d.NextAt.Equal(t0.Add(5*time.Second)) {
		t.Fatalf("after a 500: %+v", d)
	}
	f.clock.Advance(4 * time.Second)
	if n := f.pass(t); n != 0 {
		t.Fatalf("retried %d before its time", n)
	}
	f.clock.Advance(time.Second)
	f.pass(t)
	if rcv.count() != 2 || rcv.got[0].Header.Get("webhook-id") != rcv.got[1].Header.Get("webhook-id") {
		t.Fatalf("got %d tries, ids %q", rcv.count(), []string{rcv.got[0].Header.Get("webhook-id"), rcv.got[len(rcv.got)-1].Header.Get("webhook-id")})
	}
	if d := f.deliveries(t)[0]; d.Status != bot.HookDelivered || d.Tries != 2 {
		t.Fatalf("after a 200: %+v", d)
	}
}

// TestDisabledAfterThreeDays: an endpoint that fails every try is tried by
// the schedule for 3 days, then disabled, and its owner texted.
func TestDisabledAfterThreeDays(t *testing.T) {
	rcv := newReceiver(t, 503)
	f := newFixture(t, loopback)
	e := f.endpoint(t, client, rcv.URL)
	f.emit(t, client)
	for i := 0; i < 50; i++ {
		f.pass(t)
		d := f.deliveries(t)[0]
		if d.Status != bot.HookPending {
			break
		}
		f.clock.Advance(d.NextAt.Sub(f.clock.Now()))
	}
	d := f.deliveries(t)[0]
	if d.Status != bot.HookFailed || f.clock.Now().Sub(t0) > bot.HookGiveUp || f.clock.Now().Sub(t0) < 48*time.Hour {
		t.Fatalf("after %s: %+v", f.clock.Now().Sub(t0), d)
	}
	var got *bot.HookEndpoint
	var texts []bot.OutMessage
	f.db.Read(func(tx *store.Tx) error {
		got, _ = tx.HookEndpoint(e.ID)
		texts, _ = tx.OutboxSince(client, 0, 10)
		return nil
	})
	if got.Enabled || got.DisabledAt.IsZero() {
		t.Fatalf("endpoint still on: %+v", got)
	}
	if len(texts) != 1 || texts[0].Kind != bot.KindWebhook || !strings.Contains(texts[0].Body, "127.0.0.1") {
		t.Fatalf("owner texts %+v", texts)
	}
	tries := rcv.count()
	f.emit(t, client) // disabled: no new rows
	f.clock.Advance(time.Hour)
	f.pass(t)
	if rcv.count() != tries || len(f.deliveries(t)) != 1 {
		t.Fatalf("a disabled endpoint got more: %d tries, %d rows", rcv.count(), len(f.deliveries(t)))
	}
}

// TestAdminEndpointDisabledNoText: an admin's endpoint is disabled with a
// log line only.
func TestAdminEndpointDisabledNoText(t *testing.T) {
	rcv := newReceiver(t, 500)
	f := newFixture(t, loopback)
	f.endpoint(t, bot.HookAdmin, rcv.URL)
	f.emit(t, client) // a client's event reaches admin endpoints
	for i := 0; i < 50 && f.deliveries(t)[0].Status == bot.HookPending; i++ {
		f.pass(t)
		f.clock.Advance(f.deliveries(t)[0].NextAt.Sub(f.clock.Now()))
	}
	var texts []bot.OutMessage
	f.db.Read(func(tx *store.Tx) error { texts, _ = tx.OutboxSince(bot.HookAdmin, 0, 10); return nil })
	if d := f.deliveries(t)[0]; d.Status != bot.HookFailed || len(texts) != 0 {
		t.Fatalf("row %+v, texts %v", d, texts)
	}
}

// TestDeliveryRefusesPrivateAddress: an endpoint whose address is not
// allowed at delivery time gets nothing; the try is recorded as failed.
func TestDeliveryRefusesPrivateAddress(t *testing.T) {
	rcv := newReceiver(t, 200)
	for _, url := range []string{rcv.URL, strings.Replace(rcv.URL, "127.0.0.1", "localhost", 1)} {
		f := newFixture(t, Guard{})
		f.endpoint(t, client, url)
		f.emit(t, client)
		f.pass(t)
		d := f.deliveries(t)[0]
		if rcv.count() != 0 || d.Status != bot.HookPending || d.Code != 0 || !strings.Contains(d.Error, "refused") {
			t.Fatalf("%s: receiver got %d, row %+v", url, rcv.count(), d)
		}
	}
}

func TestRegistrationGuard(t *testing.T) {
	ctx := context.Background()
	ten := Guard{Allow: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}
	cases := []struct {
		g    Guard
		url  string
		want bool
	}{
		{Guard{}, "https://127.0.0.1/hook", false},
		{Guard{}, "https://10.1.2.3/hook", false},
		{Guard{}, "https://169.254.169.254/latest/meta-data", false},
		{Guard{}, "https://[::1]/hook", false},
		{Guard{}, "https://localhost/hook", false}, // a name resolving to loopback
		{Guard{}, "http://8.8.8.8/hook", false},    // public, but not https
		{Guard{}, "ftp://8.8.8.8/hook", false},
		{Guard{}, "https://user:pw@8.8.8.8/hook", false},
		{Guard{}, "not a url", false},
		{Guard{}, "https://8.8.8.8/hook", true},
		{loopback, "https://127.0.0.1/hook", true},
		{loopback, "http://127.0.0.1:8080/hook", true}, // plain http to an allowed address
		{loopback, "https://[::1]/hook", true},
		{loopback, "https://169.254.169.254/", false},
		{ten, "http://10.1.2.3/hook", true},
		{ten, "https://127.0.0.1/hook", false},
	}
	for _, c := range cases {
		err := c.g.CheckURL(ctx, c.url)
		if (err == nil) != c.want {
			t.Errorf("%v %s: err %v, want allowed %v", c.g.Allow, c.url, err, c.want)
		}
		if err != nil && !errors.Is(err, ErrRefused) {
			t.Errorf("%s: %v is not ErrRefused", c.url, err)
		}
	}
}

func TestRegisterRefusesBadEvents(t *testing.T) {
	f := newFixture(t, loopback)
	for _, ev := range [][]string{nil, {"subscriber.exploded"}, {bot.HookTest}} {
		if _, err := Register(context.Background(), f.db, loopback, client, "https://127.0.0.1/", ev, t0); !errors.Is(err, ErrBadEvents) {
			t.Errorf("events %v: %v", ev, err)
		}
	}
}

func TestParseAllow(t *testing.T) {
	p, err := ParseAllow(" 127.0.0.1/32, 10.0.0.0/8 ,")
	if err != nil || len(p) != 2 {
		t.Fatalf("%v %v", p, err)
	}
	if _, err := ParseAllow("10.0.0.1"); err == nil || !strings.Contains(err.Error(), "NUDGES_WEBHOOK_ALLOW") {
		t.Fatalf("a bare address: %v", err)
	}
}

// TestClaimLeaseRetriesAfterCrash: a row claimed but never recorded (the
// process died mid-delivery) is claimed again once its lease ends, with
// the same webhook-id: at least once.
func TestClaimLeaseRetriesAfterCrash(t *testing.T) {
	f := newFixture(t, loopback)
	f.endpoint(t, client, "http://127.0.0.1:1/")
	f.emit(t, client)
	q := f.worker.Queue
	first, err := q.Claim(f.clock.Now(), 10)
	if err != nil || len(first) != 1 {
		t.Fatalf("claim: %v %v", first, err)
	}
	if again, _ := q.Claim(f.clock.Now().Add(bot.HookLease-time.Second), 10); len(again) != 0 {
		t.Fatalf("claimed twice within the lease: %v", again)
	}
	again, err := q.Claim(f.clock.Now().Add(bot.HookLease), 10)
	if err != nil || len(again) != 1 || again[0].Delivery.MsgID != first[0].Delivery.MsgID {
		t.Fatalf("after the lease: %v %v", again, err)
	}
}

// TestDeletedEndpointFailsItsRows: rows of a deleted endpoint fail when
// due instead of being sent.
func TestDeletedEndpointFailsItsRows(t *testing.T) {
	rcv := newReceiver(t, 200)
	f := newFixture(t, loopback)
	e := f.endpoint(t, client, rcv.URL)
	f.emit(t, client)
	f.db.Update(func(tx bot.Tx) error { return tx.DeleteHookEndpoint(e.ID) })
	f.pass(t)
	if d := f.deliveries(t)[0]; d.Status != bot.HookFailed || rcv.count() != 0 {
		t.Fatalf("row %+v, receiver got %d", d, rcv.count())
	}
}
