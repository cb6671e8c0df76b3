package app

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"nudges/bot"
)

// replied: subscriber joined YOGA, A announced, and the subscriber
// replied, so A has thread #1.
func replied(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t)
	h.text(subscriber, "YOGA")
	h.text(phoneA, "Class at 7")
	if r := h.text(phoneA, "CONFIRM"); !strings.Contains(r, "Sending now") {
		t.Fatalf("CONFIRM: %q", r)
	}
	if r := h.text(subscriber, "is class full?"); !strings.Contains(r, "Sent to") {
		t.Fatalf("reply: %q", r)
	}
	return h
}

// noPhone fails when body shows the subscriber's number in any form.
func noPhone(t *testing.T, what, body string) {
	t.Helper()
	digits := strings.TrimPrefix(string(subscriber), "+")
	for _, s := range []string{digits, digits[1:], "555-000-7777", "555) 000", "000-7777", "0007777"} {
		if strings.Contains(body, s) {
			t.Errorf("%s shows the subscriber's phone (%q)", what, s)
		}
	}
}

// Threads go by #n with their last messages and an answer form, and no
// reply page (list, thread, answer, refusal) shows the phone number.
func TestRepliesShowThreadsByHandleNeverThePhone(t *testing.T) {
	h := replied(t)
	a := h.signedIn(phoneA)
	r := a.get("/app/replies")
	mustContain(t, r.Body, "#1", "is class full?", `action="/app/replies/1"`, `name="text"`,
		"EDT") // times in the client's zone (New York), as on the announcements pages
	noPhone(t, "the replies page", r.Body)
	r = a.get("/app/replies/1")
	mustContain(t, r.Body, "<title>#1 · Nudges dashboard</title>", "is class full?")
	noPhone(t, "the thread page", r.Body)
	r = a.post("/app/replies/1", "/app/replies/1", url.Values{"text": {"Yes, come at 6:45 🧘"}})
	if r.Status != http.StatusSeeOther || r.Loc != "/app/replies/1" {
		t.Fatalf("answer: %d %q %s", r.Status, r.Loc, r.Body)
	}
	r = a.get("/app/replies/1")
	mustContain(t, r.Body, "Sent to #1.", "Yes, come at 6:45 🧘")
	noPhone(t, "the thread after an answer", r.Body)
	var sent bool
	for _, m := range h.outboxTo(subscriber) {
		sent = sent || strings.Contains(m, "Yes, come at 6:45 🧘")
	}
	if !sent {
		t.Error("the answer was not texted to the subscriber")
	}
	r = a.post("/app/replies/1", "/app/replies/1", url.Values{"text": {""}})
	noPhone(t, "a refusal", r.Body)
}

// Bad answers are refused with why, and nothing is texted: empty, control
// characters, over the length limit, over 2 KB of form.
func TestAnswerRefusesBadText(t *testing.T) {
	h := replied(t)
	a := h.signedIn(phoneA)
	before := len(h.outboxTo(subscriber))
	for name, c := range map[string]struct{ text, says string }{
		"empty":    {"   ", "has no text"},
		"control":  {"see you\x1b[31m", "control characters"},
		"bell":     {"hi\x07", "control characters"},
		"too long": {strings.Repeat("b", 1401), "the limit is 1400"},
		"2 KB":     {strings.Repeat("a", 2049), "longer than 2048 bytes"},
	} {
		r := a.post("/app/replies/1", "/app/replies/1", url.Values{"text": {c.text}})
		if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, c.says) {
			t.Errorf("%s: %d, want 400 saying %q", name, r.Status, c.says)
		}
		if name == "too long" && !strings.Contains(r.Body, c.text[:100]) {
			t.Errorf("%s: the refused text is not given back to fix", name)
		}
	}
	if after := len(h.outboxTo(subscriber)); after != before {
		t.Errorf("a refused answer was texted (%d → %d)", before, after)
	}
	if utf8.RuneCountInString(strings.Repeat("é", 1400)) != 1400 {
		t.Fatal("test text")
	}
	if r := a.post("/app/replies/1", "/app/replies/1", url.Values{"text": {strings.Repeat("é", 1000)}}); r.Status != http.StatusSeeOther {
		t.Errorf("1000 accented characters (2000 bytes): %d", r.Status)
	}
}

// A subscriber who opted out or left is refused with why; an erased one's
// thread is gone (404, as another client's #n is); B's #1 is B's own.
func TestAnswerToGoneSubscribers(t *testing.T) {
	h := replied(t)
	a := h.signedIn(phoneA)
	h.text(subscriber, "STOP")
	r := a.post("/app/replies/1", "/app/replies/1", url.Values{"text": {"still there?"}})
	if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "#1 opted out: it is not texted.") {
		t.Errorf("opted out: %d\n%s", r.Status, r.Body)
	}
	noPhone(t, "the opted-out refusal", r.Body)
	if _, err := h.db.Erase(subscriber); err != nil {
		t.Fatal(err)
	}
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		r := a.do(method, "/app/replies/1", withCSRF(url.Values{"text": {"hello"}}, a.token("/app/replies")))
		if r.Status != http.StatusNotFound || !strings.Contains(r.Body, "asked to be erased") {
			t.Errorf("%s erased #1: %d", method, r.Status)
		}
	}
	if r := a.get("/app/replies"); strings.Contains(r.Body, "is class full?") {
		t.Error("an erased subscriber's thread is still listed")
	}
	threadOf(h, phoneB) // B's #2222; A has no #2222
	for _, path := range []string{"/app/replies/2222", "/app/replies/x", "/app/replies/0", "/app/replies/99999999999"} {
		if r := a.get(path); r.Status != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, r.Status)
		}
	}
}

// Handles are per client: A's #1 and B's #1 are different people, and
// each sees its own.
func TestSameHandleTwoClients(t *testing.T) {
	h := replied(t)
	other := bot.Phone("+15550008888")
	h.text(other, "GYM")
	h.text(phoneB, "Gym closed")
	h.text(phoneB, "CONFIRM")
	h.text(other, "gym question")
	if r := h.signedIn(phoneA).get("/app/replies/1"); strings.Contains(r.Body, "gym question") || !strings.Contains(r.Body, "is class full?") {
		t.Errorf("A's #1:\n%s", r.Body)
	}
	if r := h.session(phoneB).get("/app/replies/1"); !strings.Contains(r.Body, "gym question") || strings.Contains(r.Body, "is class full?") {
		t.Errorf("B's #1:\n%s", r.Body)
	}
}
