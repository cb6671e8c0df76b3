package flows

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"nudges/bot"
	"nudges/store"
)

// repliesHarness: the yoga client with sub1 and sub2 on its list has just
// announced.
func repliesHarness(t *testing.T) *harness {
	t.Helper()
	h := yogaHarness(t, 30)
	h.text(sub1, "YOGA")
	h.text(sub2, "YOGA")
	h.text(yogaPhone, "Class at 7")
	if r := h.text(yogaPhone, "CONFIRM"); !strings.Contains(r, "Sending now to 2") {
		t.Fatalf("CONFIRM answered %q", r)
	}
	return h
}

func forwardsTo(h *harness, client string) []string {
	var out []string
	for _, m := range h.outbox() {
		if m.To == bot.MustPhone(client) && strings.HasPrefix(m.Body, "#") {
			out = append(out, m.Body)
		}
	}
	return out
}

// A client gets at most ForwardCap forwarded texts in ForwardCapOver; past
// that the subscriber gets "didn't understand", and an hour on they flow again.
func TestForwardCapPerHour(t *testing.T) {
	h := repliesHarness(t)
	for i := range ForwardCap {
		p := fmt.Sprintf("+1555300%04d", i)
		h.text(p, "YOGA")
		if r := h.text(p, "is class full?"); r != "Sent to Sunrise Yoga." {
			t.Fatalf("reply %d answered %q", i+1, r)
		}
	}
	if r := h.text(sub1, "one too many"); !strings.Contains(r, "didn't understand") {
		t.Fatalf("past the cap: %q", r)
	}
	if n := len(forwardsTo(h, yogaPhone)); n != ForwardCap {
		t.Fatalf("%d forwarded, want %d", n, ForwardCap)
	}
	h.clock.Advance(ForwardCapOver)
	if r := h.text(sub1, "an hour later"); r != "Sent to Sunrise Yoga." {
		t.Fatalf("an hour later: %q", r)
	}
}

// Handles are per client: the same subscriber is #1 with one client and #2
// with another, and keeps them; the forwarded text never shows a phone.
func TestHandlesStablePerClient(t *testing.T) {
	h := repliesHarness(t)
	const cafe = "+15550008888"
	for _, d := range []string{"client " + cafe + " CAFE Cafe Central", "quota " + cafe + " 30"} {
		name, args, _ := strings.Cut(d, " ")
		if err := directives[name](h, args); err != nil {
			t.Fatal(err)
		}
	}
	h.text(sub2, "CAFE")
	h.text(sub1, "CAFE")
	h.text(sub1, "hi yoga")
	h.text(sub2, "hi yoga")
	h.clock.Advance(time.Minute)
	h.text(cafe, "Free coffee")
	h.text(cafe, "CONFIRM")
	h.text(sub2, "hi cafe")
	h.text(sub1, "hi cafe")
	h.text(sub1, "again")
	yoga, coffee := forwardsTo(h, yogaPhone), forwardsTo(h, cafe)
	want := []string{"#1 (YOGA): hi yoga", "#2 (YOGA): hi yoga"}
	for i, w := range want {
		if i >= len(yoga) || !strings.HasPrefix(yoga[i], w) {
			t.Errorf("yoga got %q, want %q first", yoga, want)
		}
	}
	want = []string{"#1 (CAFE): hi cafe", "#2 (CAFE): hi cafe", "#2 (CAFE): again"}
	for i, w := range want {
		if i >= len(coffee) || !strings.HasPrefix(coffee[i], w) {
			t.Errorf("cafe got %q, want %q", coffee, want)
		}
	}
	for _, m := range append(yoga, coffee...) {
		if strings.Contains(m, "555000") {
			t.Errorf("a forwarded text shows a phone: %q", m)
		}
	}
}

// A forwarded text and its answer are in both phones' logs.
func TestRepliesInBothLogs(t *testing.T) {
	h := repliesHarness(t)
	h.text(sub1, "is class full?")
	h.text(yogaPhone, "#1 Not yet!")
	for phone, want := range map[string][]string{
		sub1:      {"in is class full?", "out Sent to Sunrise Yoga.", "out Sunrise Yoga: Not yet!"},
		yogaPhone: {"out #1 (YOGA): is class full?\nReply #1 and your answer.", "in #1 Not yet!", "out Sent to #1."},
	} {
		var got []string
		for _, e := range h.logOf(phone) {
			got = append(got, e.Dir+" "+e.Body)
		}
		joined := strings.Join(got, "|")
		for _, w := range want {
			if !strings.Contains(joined, w) {
				t.Errorf("%s's log lacks %q: %q", phone, w, got)
			}
		}
	}
}

func (h *harness) logOf(phone string) []bot.LogEntry {
	h.t.Helper()
	var log []bot.LogEntry
	err := h.db.Read(func(tx *store.Tx) error {
		var err error
		log, err = tx.LogOf(bot.MustPhone(phone), 100)
		return err
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return log
}

// TestAnswerWithControlCharactersIsRefused: NUL, ESC, BEL and other control
// characters in a client's #n answer are refused with a re-ask, as WELCOME
// refuses them; nothing reaches the subscriber. A line break is kept.
func TestAnswerWithControlCharactersIsRefused(t *testing.T) {
	h := repliesHarness(t)
	h.text(sub1, "is class full?")
	for _, bad := range []string{"#1 See you\x00 at 7", "#1 \x1b[31mSee you at 7", "#1 See you at 7\a", "#1 See\u202Eyou", "#1 ok\x7f"} {
		r := h.text(yogaPhone, bad)
		if !strings.Contains(r, "Not sent") || !strings.Contains(r, "#1") {
			t.Errorf("%q answered %q, want a re-ask", bad, r)
		}
	}
	for _, m := range h.outbox() {
		if m.To == bot.MustPhone(sub1) && bot.HasControl(strings.Join(strings.Fields(m.Body), " ")) {
			t.Errorf("an answer with control characters reached the subscriber: %q", m.Body)
		}
	}
	if r := h.text(yogaPhone, "#1 See you at 7\nBring a mat"); !strings.Contains(r, "Sent") || strings.Contains(r, "Not sent") {
		t.Errorf("a two-line answer: %q", r)
	}
	for _, lang := range []string{bot.English, bot.Spanish} {
		if msg, err := h.engine.T.(interface {
			Render(string, string, map[string]any) (string, error)
		}).Render(lang, "AnswerControl", map[string]any{"N": 12345}); err != nil {
			t.Errorf("%s: %v", lang, err)
		} else if n, _ := bot.Segments(msg); n > 2 {
			t.Errorf("%s: %d segments: %q", lang, n, msg)
		}
	}
}
