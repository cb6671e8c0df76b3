package twilio

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/labstack/echo/v4"

	"nudges/bot"
	"nudges/flows"
	"nudges/locales"
	"nudges/store"
)

// Benchmarks of POST /twilio/sms in process: echo router, body limit,
// form parse, signature check (HMAC-SHA1), decode, turn, TwiML, on an
// httptest.ResponseRecorder (no sockets).
//
// go test ./webhooks/twilio -run '^$' -bench . -benchtime 3s

var benchBodies = []string{"JOIN YOGA", "LIST", "YOGA", "LEAVE", "HELP", "hello?", "LIST", "JOIN BAKERY", "LEAVE ALL", "thanks"}

// benchForm is the i-th inbound of the mix: 1,000 phones texting in turn.
func benchForm(i int) url.Values {
	return url.Values{
		"MessageSid": {fmt.Sprintf("SM%032x", i)}, "AccountSid": {"AC00000000000000000000000000000001"},
		"From": {fmt.Sprintf("+1555%07d", i%1000)}, "To": {testNumber},
		"Body": {benchBodies[(i/1000)%len(benchBodies)]}, "NumMedia": {"0"},
		"SmsStatus": {"received"}, "NumSegments": {"1"}, "ApiVersion": {"2010-04-01"},
	}
}

// signedRequest is what Twilio would POST for form.
func signedRequest(form url.Values) *http.Request {
	body := form.Encode()
	req := httptest.NewRequest(http.MethodPost, PathSMS, strings.NewReader(body))
	req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationForm)
	req.Header.Set(SignatureHeader, Sign(testToken, testPublic+PathSMS, form))
	return req
}

// benchRouter is the webhooks on echo in front of handler.
func benchRouter(handler bot.Handler) *echo.Echo {
	hooks := NewWebhooks(Config{AuthToken: testToken, PublicURL: testPublic}, handler, &recordingSink{})
	hooks.Log = quietLog()
	return newEchoFor(hooks)
}

// realEngine is the real Brain on a real bbolt file with two clients.
func realEngine(b *testing.B) *bot.Engine {
	b.Helper()
	db, err := store.Open(filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	err = db.Update(func(tx bot.Tx) error {
		if err := tx.PutClient(&bot.Client{Phone: "+15559990001", Keyword: "YOGA", Name: "Sunrise Yoga", Status: bot.ClientActive}); err != nil {
			return err
		}
		return tx.PutClient(&bot.Client{Phone: "+15559990002", Keyword: "BAKERY", Name: "Corner Bakery", Status: bot.ClientActive})
	})
	if err != nil {
		b.Fatal(err)
	}
	brain := &flows.Brain{ServiceNumber: testNumber, PublicURL: testPublic, Support: testPublic + "/help"}
	return &bot.Engine{Store: db, Brain: brain, Clock: bot.NewFixedClock(testNow), T: locales.MustLoad(),
		Log: quietLog(), DefaultLocale: bot.English}
}

// fixedReply is a bot.Handler that answers at once: the HTTP layer alone.
type fixedReply struct{}

func (fixedReply) Handle(context.Context, bot.Inbound) (bot.Reply, error) {
	return bot.Reply{Text: "You joined Sunrise Yoga. Msg frequency varies. Msg&data rates may apply. Reply HELP for help, STOP to opt out."}, nil
}

// BenchmarkSMSWebhookHTTPLayer is the webhook without the engine: router,
// form, HMAC check, decode and TwiML around a handler that answers at once.
func BenchmarkSMSWebhookHTTPLayer(b *testing.B) {
	e := benchRouter(fixedReply{})
	bodies := make([]string, 1000)
	sigs := make([]string, len(bodies))
	for i := range bodies {
		f := benchForm(i)
		bodies[i], sigs[i] = f.Encode(), Sign(testToken, testPublic+PathSMS, f)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest(http.MethodPost, PathSMS, strings.NewReader(bodies[i%len(bodies)]))
		req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationForm)
		req.Header.Set(SignatureHeader, sigs[i%len(sigs)])
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkSMSWebhook is the whole webhook with the real engine, many phones
// at once (turns share bbolt commits); every answer is durable.
func BenchmarkSMSWebhook(b *testing.B) {
	for _, par := range []int{1, 32} {
		b.Run(fmt.Sprintf("goroutines=%d", par*2), func(b *testing.B) {
			e := benchRouter(realEngine(b))
			var seq atomic.Int64
			b.ReportAllocs()
			b.SetParallelism(par)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := int(seq.Add(1))
					rec := httptest.NewRecorder()
					e.ServeHTTP(rec, signedRequest(benchForm(i)))
					if rec.Code != http.StatusOK {
						b.Errorf("request %d: %d %s", i, rec.Code, rec.Body)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
}

// BenchmarkSign is the HMAC-SHA1 signature of one typical inbound form (the
// server's check costs about the same).
func BenchmarkSign(b *testing.B) {
	f := benchForm(1)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		Sign(testToken, testPublic+PathSMS, f)
	}
}

// BenchmarkVerify is the server's signature check (twilio-go's validator).
func BenchmarkVerify(b *testing.B) {
	s := newSigner(Config{AuthToken: testToken, PublicURL: testPublic})
	f := benchForm(1)
	sig := Sign(testToken, testPublic+PathSMS, f)
	u := &url.URL{Path: PathSMS}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if !s.valid(u, f, sig) {
			b.Fatal("signature refused")
		}
	}
}
