package e2e

import (
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"nudges/bot"
)

// hookReceiver answers 503 until told otherwise, keeping every request.
type hookReceiver struct {
	*httptest.Server
	mu   sync.Mutex
	ok   bool
	got  []http.Header
	body [][]byte
}

func (r *hookReceiver) requests() ([]http.Header, [][]byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]http.Header(nil), r.got...), append([][]byte(nil), r.body...)
}

// TestWebhookDeliveredAcrossKill runs the real binary: a JOIN by SMS
// queues subscriber.joined for the client's endpoint (a receiver on
// 127.0.0.1, allowed by NUDGES_WEBHOOK_ALLOW); the receiver fails the first
// try, the process is killed (-9) before the retry, and the restarted one
// delivers it with the same webhook-id and a valid signature.
func TestWebhookDeliveredAcrossKill(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary (about 10 s)")
	}
	rcv := &hookReceiver{}
	rcv.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		rcv.mu.Lock()
		defer rcv.mu.Unlock()
		rcv.got, rcv.body = append(rcv.got, req.Header.Clone()), append(rcv.body, b)
		if !rcv.ok {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer rcv.Close()
	db := filepath.Join(t.TempDir(), "nudges.db")
	SeedList(t, db, 0)
	ep := &bot.HookEndpoint{Owner: Client, URL: rcv.URL + "/hook", Events: []string{bot.HookSubscriberJoined},
		Secret: bot.NewHookSecret(), Enabled: true, CreatedAt: time.Now().UTC()}
	Update(t, db, func(tx bot.Tx) error { return tx.PutHookEndpoint(ep) })

	s := Start(t, Options{DB: db, Env: []string{"NUDGES_WEBHOOK_ALLOW=127.0.0.1/32"}})
	s.SMS(t, "+15552000001", "YOGA")
	WaitFor(t, 10*time.Second, "the first try", func() bool { h, _ := rcv.requests(); return len(h) >= 1 })
	// Room to record the 503 (a kill before it leaves the row leased for
	// bot.HookLease, a minute: also delivered, but later than this waits).
	time.Sleep(300 * time.Millisecond)
	s.Kill(t)
	rcv.mu.Lock()
	rcv.ok = true
	rcv.mu.Unlock()

	s.Restart(t)
	WaitFor(t, 20*time.Second, "the retry", func() bool { h, _ := rcv.requests(); return len(h) >= 2 })
	s.Stop(t, 10*time.Second)

	heads, bodies := rcv.requests()
	if len(heads) != 2 || heads[0].Get("webhook-id") == "" || heads[0].Get("webhook-id") != heads[1].Get("webhook-id") {
		t.Fatalf("%d requests, ids %q", len(heads), heads[0].Get("webhook-id"))
	}
	wh, err := standardwebhooks.NewWebhook(ep.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(bodies[1], heads[1]); err != nil {
		t.Fatalf("signature: %v", err)
	}
	if !strings.Contains(string(bodies[1]), `"type":"subscriber.joined"`) || !strings.Contains(string(bodies[1]), "+15552000001") {
		t.Fatalf("body %s", bodies[1])
	}
	View(t, db, func(tx bot.Tx) error {
		ds, err := tx.HookDeliveries(ep.ID, 10)
		if len(ds) != 1 || ds[0].Status != bot.HookDelivered || ds[0].Tries != 2 {
			t.Errorf("rows %+v", ds)
		}
		return err
	})
}
