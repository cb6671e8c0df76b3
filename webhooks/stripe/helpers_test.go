package stripe

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/stripe/stripe-go/v76/webhook"

	"nudges/bot"
	"nudges/flows"
	"nudges/locales"
	"nudges/store"
)

const (
	testSecret  = "whsec_test_secret"
	clientPhone = bot.Phone("+15550004444")
	payToken    = "paytoken00000001"
)

// T0 is the fixture clock: events are created around it.
var T0 = time.Date(2026, 1, 5, 15, 0, 0, 0, time.UTC)

// fixture is a server over a real database holding the default plan and one
// pending client, as SIGNUP leaves it.
type fixture struct {
	t       *testing.T
	db      *store.DB
	clock   *bot.FixedClock
	srv     *Server
	e       *echo.Echo
	kicks   int
	billing *flows.Billing
	links   int // connect links made (connectToken)
}

func newFixture(t *testing.T, cfg Config) *fixture {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "nudges.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f := &fixture{t: t, db: db, clock: bot.NewFixedClock(T0)}
	if err := flows.EnsureDefaultPlan(db, T0); err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx bot.Tx) error {
		conv, err := tx.Conversation(clientPhone)
		if err != nil {
			return err
		}
		conv.Locale, conv.FirstSeen = bot.English, T0
		if err := tx.PutConversation(conv); err != nil {
			return err
		}
		return tx.PutClient(&bot.Client{
			Phone: clientPhone, Name: "Joe's Coffee", Keyword: "COFFEE", Status: bot.ClientPending,
			PlanID: 1, PayToken: payToken, Locale: bot.English, CreatedAt: T0,
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.PublicURL == "" {
		cfg.PublicURL = "http://localhost:8080"
	}
	tr := locales.MustLoad()
	brain := &flows.Brain{ServiceNumber: "+15550000000", PublicURL: cfg.PublicURL}
	f.billing = flows.NewBilling(db, f.clock, tr, func() { f.kicks++ }, brain)
	f.srv, err = New(cfg, db, f.billing, f.clock, tr)
	if err != nil {
		t.Fatal(err)
	}
	brain.Payments = f.srv
	f.e = echo.New()
	f.srv.Register(f.e)
	return f
}

func (f *fixture) client() *bot.Client {
	f.t.Helper()
	var c *bot.Client
	if err := f.db.View(func(tx bot.Tx) error {
		var err error
		c, err = tx.Client(clientPhone)
		return err
	}); err != nil {
		f.t.Fatal(err)
	}
	return c
}

func (f *fixture) update(fn func(c *bot.Client)) {
	f.t.Helper()
	err := f.db.Update(func(tx bot.Tx) error {
		c, err := tx.Client(clientPhone)
		if err != nil {
			return err
		}
		fn(c)
		return tx.PutClient(c)
	})
	if err != nil {
		f.t.Fatal(err)
	}
}

// outbox is every queued message, oldest first.
func (f *fixture) outbox() []bot.OutMessage {
	f.t.Helper()
	var msgs []bot.OutMessage
	err := f.db.Read(func(tx *store.Tx) error {
		for id := uint64(1); ; id++ {
			m, err := tx.OutMessage(id)
			if err != nil || m == nil {
				return err
			}
			msgs = append(msgs, *m)
		}
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return msgs
}

func (f *fixture) do(method, path string, body string, header http.Header) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	f.e.ServeHTTP(rec, req)
	return rec
}

// event is a Stripe event around object, in a newer API version than the
// library's (as a new Stripe account sends).
func event(id, typ string, created time.Time, object any) []byte {
	b, err := json.Marshal(map[string]any{
		"id": id, "object": "event", "api_version": "2025-03-31.basil", "created": created.Unix(),
		"type": typ, "livemode": false, "data": map[string]any{"object": object},
	})
	if err != nil {
		panic(err)
	}
	return b
}

// post sends payload signed at at (now if zero) with secret.
func (f *fixture) post(payload []byte, secret string, at time.Time) *httptest.ResponseRecorder {
	if at.IsZero() {
		at = time.Now()
	}
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: at})
	return f.do(http.MethodPost, PathWebhook, string(payload), http.Header{"Stripe-Signature": {sp.Header}})
}

func (f *fixture) postOK(payload []byte) {
	f.t.Helper()
	if rec := f.post(payload, testSecret, time.Time{}); rec.Code != http.StatusOK {
		f.t.Fatalf("webhook answered %d: %s", rec.Code, rec.Body)
	}
}

var md = map[string]string{"phone": string(clientPhone), "plan": "1"}

func session(id string) map[string]any {
	return map[string]any{
		"id": id, "object": "checkout.session", "mode": "subscription", "payment_status": "paid",
		"client_reference_id": string(clientPhone), "customer": "cus_1", "subscription": "sub_1", "metadata": md,
	}
}

// invoice in the 2025 shape: subscription and metadata under parent.
func invoice(start, end time.Time) map[string]any {
	return map[string]any{
		"id": "in_1", "object": "invoice", "customer": "cus_1",
		"parent": map[string]any{"subscription_details": map[string]any{"subscription": "sub_1", "metadata": md}},
		"lines":  map[string]any{"data": []any{map[string]any{"period": map[string]any{"start": start.Unix(), "end": end.Unix()}}}},
	}
}

// subscription in the 2023 shape: period on the subscription itself.
func subscription(status string, start, end time.Time, price string) map[string]any {
	return map[string]any{
		"id": "sub_1", "object": "subscription", "customer": map[string]any{"id": "cus_1", "object": "customer"},
		"status": status, "metadata": md, "current_period_start": start.Unix(), "current_period_end": end.Unix(),
		"items": map[string]any{"data": []any{map[string]any{"price": map[string]any{"id": price}}}},
	}
}
