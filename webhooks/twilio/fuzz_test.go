package twilio

import (
	"context"
	"encoding/xml"
	"log/slog"
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

// errorCounter is a slog.Handler that counts records at Error level: an
// engine that logs "turn failed" hit a bug in the conversation logic.
type errorCounter struct{ n atomic.Int64 }

func (h *errorCounter) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelError }
func (h *errorCounter) Handle(context.Context, slog.Record) error {
	h.n.Add(1)
	return nil
}
func (h *errorCounter) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *errorCounter) WithGroup(string) slog.Handler      { return h }

// FuzzSMSWebhook sends arbitrary bodies, content types and form fields
// through the real POST /twilio/sms (echo, body limit, signature check,
// decoder, the real engine and Brain on a real bbolt file). Whatever parses
// as a query string is signed correctly, so the fuzzer gets past the
// signature. The webhook must never panic, never answer 5xx (storage does
// not fail here) and answer 200 only with TwiML.
//
// go test ./webhooks/twilio -run '^$' -fuzz FuzzSMSWebhook -fuzztime 30s
func FuzzSMSWebhook(f *testing.F) {
	mime := echo.MIMEApplicationForm
	f.Add("", mime, "+15550001111", "JOIN YOGA", "0", "SM1", true)
	f.Add("", mime, "(555) 000-1111", "🎉 ¿sí?", "2", "SM2", true)
	f.Add("", mime+"; charset=utf-8", "whatsapp:+1555", "", "-1", "", true)
	f.Add("MessageSid=SM3&From=%2B15550001111&Body=%zz", mime, "", "", "", "", false)
	f.Add(`{"Body":"hi"}`, "application/json", "", "", "", "", false)
	f.Add("MessageSid=SM4&From=%2B15550001111&From=%2B15550002222&Body=STOP&Body=START", mime, "", "", "", "", false)
	f.Add("a=1;b=2&&=&MessageSid=&From=+15550001111", "Application/X-WWW-Form-Urlencoded", "", "", "", "", false)

	db, err := store.Open(filepath.Join(f.TempDir(), "fuzz.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	if err := db.Update(func(tx bot.Tx) error {
		return tx.PutClient(&bot.Client{Phone: "+15559990001", Keyword: "YOGA", Name: "Sunrise Yoga", Status: bot.ClientActive})
	}); err != nil {
		f.Fatal(err)
	}
	errs := &errorCounter{}
	engine := &bot.Engine{Store: db, Clock: bot.NewFixedClock(testNow), T: locales.MustLoad(), Log: slog.New(errs),
		DefaultLocale: bot.English, Brain: &flows.Brain{ServiceNumber: testNumber, PublicURL: testPublic, Support: testPublic + "/help"}}
	hooks := NewWebhooks(Config{AuthToken: testToken, PublicURL: testPublic}, engine, &recordingSink{})
	hooks.Log = quietLog()
	e := newEchoFor(hooks)

	f.Fuzz(func(t *testing.T, raw, ctype, from, text, media, sid string, useFields bool) {
		body := raw
		if useFields {
			body = url.Values{"MessageSid": {sid}, "From": {from}, "To": {testNumber}, "Body": {text}, "NumMedia": {media}}.Encode()
		}
		req := httptest.NewRequest(http.MethodPost, PathSMS, strings.NewReader(body))
		req.Header.Set(echo.HeaderContentType, ctype)
		if form, err := url.ParseQuery(body); err == nil {
			req.Header.Set(SignatureHeader, Sign(testToken, testPublic+PathSMS, form))
		}
		before := errs.n.Load()
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		checkFuzzAnswer(t, rec, errs.n.Load()-before)
	})
}

// checkFuzzAnswer fails on a 5xx, on a 200 that is not TwiML, and on a
// turn the engine logged as failed.
func checkFuzzAnswer(t *testing.T, rec *httptest.ResponseRecorder, logged int64) {
	t.Helper()
	switch rec.Code {
	case http.StatusOK:
		var doc struct {
			XMLName  xml.Name `xml:"Response"`
			Messages []string `xml:"Message"`
		}
		if err := xml.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
			t.Fatalf("200 without TwiML: %v\n%s", err, rec.Body)
		}
	case http.StatusBadRequest, http.StatusForbidden, http.StatusRequestEntityTooLarge:
	default:
		t.Fatalf("answered %d: %s", rec.Code, rec.Body)
	}
	if logged > 0 {
		t.Fatalf("the engine logged %d error(s): a turn failed", logged)
	}
}
