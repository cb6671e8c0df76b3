package twilio

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"nudges/bot"
	"nudges/store"
)

// queueText puts an outbound text to p in the outbox, as a flow would.
func queueText(t *testing.T, h *harness, p bot.Phone, body string) {
	t.Helper()
	err := h.db.Update(func(tx bot.Tx) error {
		conv, err := tx.Conversation(p)
		if err != nil {
			return err
		}
		return bot.Enqueue(tx, testNow, conv, "", body, bot.KindReport, bot.PriorityHigh, 0)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func chatConfig(srv *httptest.Server) ChatConfig {
	return ChatConfig{Server: srv.URL, Phone: testPhone, To: testNumber, Poll: 20 * time.Millisecond}
}

func TestChatDevMode(t *testing.T) {
	h := newHarness(t, "")
	if err := h.hooks.RegisterDev(h.e, store.ChatFeed{DB: h.db}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h.e)
	defer srv.Close()
	queueText(t, h, testPhone, "old news")
	queueText(t, h, "+15550002222", "someone else's")

	var out strings.Builder
	in := strings.NewReader("JOIN YOGA\n\n  \nLATER\n")
	if err := Chat(context.Background(), chatConfig(srv), in, &out); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{"< #1 JOIN YOGA\n", "< later, then\n", "< async hello #2\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	for _, bad := range []string{"old news", "someone else", "!"} {
		if strings.Contains(got, bad) {
			t.Errorf("output has %q:\n%s", bad, got)
		}
	}
	if n := h.brain.calls.Load(); n != 2 {
		t.Errorf("%d turns, want 2 (blank lines are not sent)", n)
	}
}

// chat --to texts a client's own number: the webhook gets it as To, and
// a text from a sender other than the number texted says where it is from.
func TestChatToAClientsNumber(t *testing.T) {
	h := newHarness(t, "")
	if err := h.hooks.RegisterDev(h.e, store.ChatFeed{DB: h.db}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h.e)
	defer srv.Close()
	cfg := chatConfig(srv)
	cfg.To = "+15550112345"
	var out strings.Builder
	if err := Chat(context.Background(), cfg, strings.NewReader("WHO\n"), &out); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); !strings.Contains(got, "texting +15550112345 at") || !strings.Contains(got, "< you texted +15550112345\n") {
		t.Fatalf("output:\n%s", got)
	}
	err := h.db.Update(func(tx bot.Tx) error {
		conv, err := tx.Conversation(testPhone)
		if err != nil {
			return err
		}
		if err := bot.Enqueue(tx, testNow, conv, "+15550112345", "from this number", bot.KindReply, bot.PriorityHigh, 0); err != nil {
			return err
		}
		return bot.Enqueue(tx, testNow, conv, "+15550119999", "from another", bot.KindReply, bot.PriorityHigh, 0)
	})
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	ch := &chat{cfg: cfg, out: &out, feed: true}
	ch.defaults()
	ch.poll(context.Background())
	if got, want := out.String(), "< from this number\n< (from +15550119999) from another\n"; got != want {
		t.Errorf("feed:\n%s\nwant:\n%s", got, want)
	}
}

func TestChatSignsWithTheAuthToken(t *testing.T) {
	h := newHarness(t, testToken)
	srv := httptest.NewServer(h.e)
	defer srv.Close()
	cfg := chatConfig(srv)
	cfg.AuthToken, cfg.PublicURL = testToken, testPublic

	var out strings.Builder
	if err := Chat(context.Background(), cfg, strings.NewReader("hola 🎉\n"), &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "< #1 hola 🎉\n") || !strings.Contains(out.String(), "no /dev/messages") {
		t.Fatalf("output:\n%s", out.String())
	}

	out.Reset()
	cfg.AuthToken = "notthetoken"
	if err := Chat(context.Background(), cfg, strings.NewReader("again\n"), &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "! server answered 403") || h.brain.calls.Load() != 1 {
		t.Fatalf("wrong token: %d turns, output:\n%s", h.brain.calls.Load(), out.String())
	}
}

// With no server running, chat stops at once with one line saying to start
// one, instead of a raw dial error for every line typed.
func TestChatWithoutServerSaysToStartIt(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	cfg := chatConfig(srv)
	srv.Close()
	var out strings.Builder
	err := Chat(context.Background(), cfg, strings.NewReader("HELP\n"), &out)
	if err == nil || !strings.Contains(err.Error(), "nudges serve") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("Chat with no server: %v (printed %q); want one line saying to start the server", err, out.String())
	}
}

func TestChatEndsWithContext(t *testing.T) {
	h := newHarness(t, "")
	srv := httptest.NewServer(h.e)
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	in, w := io.Pipe()
	defer w.Close()
	if err := Chat(ctx, chatConfig(srv), in, &strings.Builder{}); err != nil {
		t.Fatal(err)
	}
}

func TestDevFeed(t *testing.T) {
	h := newHarness(t, "")
	if err := h.hooks.RegisterDev(h.e, store.ChatFeed{DB: h.db}); err != nil {
		t.Fatal(err)
	}
	queueText(t, h, testPhone, "one")
	queueText(t, h, "+15550002222", "other")
	queueText(t, h, testPhone, "two")
	get := func(q string) (int, string) {
		rec := httptest.NewRecorder()
		h.e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, PathDevFeed+q, nil))
		return rec.Code, rec.Body.String()
	}
	code, body := get("?phone=%2B15550001111&after=1")
	var msgs []FeedMessage
	if err := json.Unmarshal([]byte(body), &msgs); code != 200 || err != nil {
		t.Fatalf("%d %s %v", code, body, err)
	}
	if len(msgs) != 1 || msgs[0].ID != 3 || msgs[0].Body != "two" || msgs[0].Status != bot.StatusQueued || !msgs[0].CreatedAt.Equal(testNow) {
		t.Fatalf("feed %+v", msgs)
	}
	if code, body := get("?phone=%2B15550001111&after=3"); code != 200 || strings.TrimSpace(body) != "[]" {
		t.Errorf("empty feed: %d %s", code, body)
	}
	for _, q := range []string{"?phone=hello", "", "?phone=%2B15550001111&after=-1"} {
		if code, _ := get(q); code != http.StatusBadRequest {
			t.Errorf("GET %s: %d, want 400", q, code)
		}
	}
}

func TestDevFeedRefusedWithToken(t *testing.T) {
	h := newHarness(t, testToken)
	if err := h.hooks.RegisterDev(h.e, store.ChatFeed{DB: h.db}); !errors.Is(err, ErrNotDev) {
		t.Fatalf("RegisterDev with a token: %v", err)
	}
	rec := httptest.NewRecorder()
	h.e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, PathDevFeed+"?phone=%2B15550001111", nil))
	if rec.Code != http.StatusNotFound {
		t.Fatalf("feed served with a token: %d", rec.Code)
	}
}

func TestParseTwiML(t *testing.T) {
	doc := `<?xml version="1.0" encoding="UTF-8"?><Response><Message>a &amp; b</Message>` +
		`<Message><Body>c</Body></Message></Response>`
	got, err := ParseTwiML([]byte(doc))
	if err != nil || len(got) != 2 || got[0] != "a & b" || got[1] != "c" {
		t.Fatalf("%q %v", got, err)
	}
	if got, err := ParseTwiML([]byte("<Response/>")); err != nil || len(got) != 0 {
		t.Fatalf("%q %v", got, err)
	}
}
