package admin

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"nudges/bot"
	"nudges/store"
)

// TestClientsUsedSaysOfWhat: the clients list says what "used" counts and
// out of how many.
func TestClientsUsedSaysOfWhat(t *testing.T) {
	h := newHarness(t)
	seedYoga(h)
	h.login()
	_, _, body := h.get("/admin/clients")
	mustContain(t, body, "Announcements<br>used this period", `<td class="n">2 of 30</td>`)
}

// TestSubscriberLogNewestFirstAndPaged: a phone's conversation shows its
// newest messages first, 50 a page, with links to older and back to the
// newest; a forged page link is refused.
func TestSubscriberLogNewestFirstAndPaged(t *testing.T) {
	h := newHarness(t)
	p := bot.Phone("+15551110077")
	h.write(func(tx *store.Tx) error {
		if err := tx.PutConversation(&bot.Conversation{Phone: p, Locale: "en", FirstSeen: t0, LastSeen: t0}); err != nil {
			return err
		}
		for i := range 120 {
			if err := tx.AppendLog(bot.LogEntry{Phone: p, At: t0.Add(time.Duration(i) * time.Minute), Dir: bot.DirIn, Body: fmt.Sprintf("message %03d", i)}); err != nil {
				return err
			}
		}
		return nil
	})
	h.login()
	bodies := regexp.MustCompile(`message \d{3}`)
	_, _, page := h.get(phonePath(p))
	got := bodies.FindAllString(page, -1)
	if len(got) != 50 || got[0] != "message 119" || got[49] != "message 070" {
		t.Fatalf("first page: %d messages, %v … %v", len(got), got[:min(2, len(got))], got[max(0, len(got)-1):])
	}
	if strings.Contains(page, "Newest messages") {
		t.Error("the newest page links to itself")
	}
	next := regexp.MustCompile(`href="([^"]*\?before=[0-9a-f]+)" rel="next"`)
	var seen []string
	seen = append(seen, got...)
	for range 2 {
		m := next.FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no link to older messages after %d", len(seen))
		}
		_, _, page = h.get(m[1])
		mustContain(t, page, "Newest messages")
		seen = append(seen, bodies.FindAllString(page, -1)...)
	}
	if len(seen) != 120 || seen[119] != "message 000" || next.MatchString(page) {
		t.Errorf("paged through %d messages, last %q; older link on the last page: %v", len(seen), seen[len(seen)-1], next.MatchString(page))
	}
	if st, _, _ := h.get(phonePath(p) + "?before=nothex"); st != http.StatusBadRequest {
		t.Errorf("forged cursor: %d", st)
	}
}

// TestSimulatorPlaceholderIsACommandAnyPhoneCanUse: the message field's
// example is a command every made-up phone gets an answer to on a fresh
// instance (JOIN YOGA named a list that does not exist there).
func TestSimulatorPlaceholderIsACommandAnyPhoneCanUse(t *testing.T) {
	h := newHarness(t)
	h.login()
	_, _, page := h.get("/admin/simulator")
	m := regexp.MustCompile(`id="sim-text"[^>]*placeholder="([^"]*)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no placeholder on the message field")
	}
	switch m[1] {
	case "HELP", "SIGNUP", "LIST":
	default:
		t.Errorf("placeholder %q is not a command a fresh instance answers for any phone", m[1])
	}
}
