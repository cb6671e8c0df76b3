package twilio

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"nudges/bot"
	"nudges/store"
)

// Test configuration: the token is alphanumeric as Twilio's are.
const (
	testToken  = "0123456789abcdef0123456789abcdef"
	testPublic = "https://nudges.example.com"
	testPhone  = "+15550001111"
	testNumber = "+15559990000"
)

var testNow = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

// countBrain is a tiny bot.Brain: it counts turns in conv.Vars["count"] and
// echoes the body, so every state change is visible in the store. "LATER"
// also queues an outbound text to the sender.
type countBrain struct{ calls atomic.Int64 }

func (b *countBrain) Turn(t *bot.Turn) error {
	b.calls.Add(1)
	n, _ := strconv.Atoi(t.Conv.Var("count"))
	n++
	t.Conv.SetVar("count", strconv.Itoa(n))
	switch {
	case t.In.Body == "LATER": // a text that arrives after the inline reply
		t.Replies = append(t.Replies, "later, then")
		t.Wake()
		_, err := bot.Text(t.Tx, t.Now, bot.Note{To: t.Conv.Phone, Kind: bot.KindReply, Priority: bot.PriorityHigh,
			Simulated: t.Conv.Simulated, Body: func(string) string { return "async hello #" + strconv.Itoa(n) }})
		return err
	case t.In.Body == "WHO": // the number texted
		t.Replies = append(t.Replies, "you texted "+t.In.To)
	case t.In.Body == "" && t.In.NumMedia > 0:
		t.Replies = append(t.Replies, fmt.Sprintf("got %d media, no text", t.In.NumMedia))
	case t.In.Body != "":
		t.Replies = append(t.Replies, fmt.Sprintf("#%d %s", n, t.In.Body))
	}
	return nil
}

type idTranslator struct{}

func (idTranslator) T(_, id string, _ map[string]any) string { return id }

// statusCall is one recorded StatusSink call.
type statusCall struct {
	SID    string
	Status bot.MessageStatus
	Code   int
}

// recordingSink is a StatusSink that records calls and returns err.
type recordingSink struct {
	mu    sync.Mutex
	calls []statusCall
	err   error
}

func (s *recordingSink) ApplyStatus(sid string, st bot.MessageStatus, code int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, statusCall{sid, st, code})
	return s.err
}

func (s *recordingSink) Calls() []statusCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]statusCall(nil), s.calls...)
}

// harness is a real Engine on a real bbolt file behind the webhooks.
type harness struct {
	db    *store.DB
	brain *countBrain
	sink  *recordingSink
	hooks *Webhooks
	e     *echo.Echo
	token string
}

func newHarness(t *testing.T, token string) *harness {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "nudges.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	quiet := quietLog()
	h := &harness{db: db, brain: &countBrain{}, sink: &recordingSink{}, token: token}
	engine := &bot.Engine{
		Store: db, Brain: h.brain, Clock: bot.NewFixedClock(testNow),
		T: idTranslator{}, Log: quiet, DefaultLocale: bot.English,
	}
	cfg := Config{AuthToken: token, PublicURL: testPublic}
	h.hooks = NewWebhooks(cfg, engine, h.sink)
	h.hooks.Log = quiet
	h.e = newEchoFor(h.hooks)
	return h
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newEchoFor is a router with w's webhooks registered.
func newEchoFor(w *Webhooks) *echo.Echo {
	e := echo.New()
	w.Register(e)
	return e
}

// conv reads the stored conversation of p.
func (h *harness) conv(t *testing.T, p bot.Phone) *bot.Conversation {
	t.Helper()
	var c *bot.Conversation
	err := h.db.View(func(tx bot.Tx) error {
		var err error
		c, err = tx.Conversation(p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// signing is how a case signs its request.
type signing int

const (
	signValid    signing = iota // over testPublic + path and the form
	signNone                    // no header
	signWrong                   // a signature made with another token
	signOtherURL                // the right token over another public URL
)

// request is one webhook call of a table case.
type request struct {
	path    string     // default PathSMS
	form    url.Values // encoded as the body unless raw is set
	raw     *string    // the body as-is
	ctype   string     // default form-urlencoded
	chunked bool       // no Content-Length
	sign    signing
}

func (r request) build(token string) *http.Request {
	path := r.path
	if path == "" {
		path = PathSMS
	}
	body := r.form.Encode()
	if r.raw != nil {
		body = *r.raw
	}
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	ctype := r.ctype
	if ctype == "" {
		ctype = echo.MIMEApplicationForm
	}
	req.Header.Set(echo.HeaderContentType, ctype)
	if r.chunked {
		req.ContentLength = -1
	}
	signed, _ := url.ParseQuery(body)
	switch r.sign {
	case signValid:
		req.Header.Set(SignatureHeader, Sign(token, testPublic+path, signed))
	case signWrong:
		req.Header.Set(SignatureHeader, Sign("someoneelsestoken", testPublic+path, signed))
	case signOtherURL:
		req.Header.Set(SignatureHeader, Sign(token, "https://other.example.com"+path, signed))
	}
	return req
}

// serve runs req through the echo router.
func (h *harness) serve(r request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.e.ServeHTTP(rec, r.build(h.token))
	return rec
}

// sms is a Twilio inbound form from testPhone with the given fields
// overriding the defaults (an empty value deletes the field).
func sms(kv ...string) url.Values {
	f := url.Values{
		"MessageSid": {"SM00000000000000000000000000000001"},
		"AccountSid": {"AC00000000000000000000000000000001"},
		"From":       {testPhone}, "To": {testNumber}, "Body": {"JOIN YOGA"}, "NumMedia": {"0"},
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			f.Del(kv[i])
		} else {
			f.Set(kv[i], kv[i+1])
		}
	}
	return f
}

func str(s string) *string { return &s }
