package app

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"nudges/bot"
	"nudges/store"
)

func (h *harness) client(p bot.Phone) *bot.Client {
	h.t.Helper()
	var c *bot.Client
	h.write(func(tx *store.Tx) (err error) { c, err = tx.Client(p); return err })
	return c
}

// The page changes what WELCOME, REPLIES and ENGLISH/ESPAÑOL change, and
// the SMS side sees it.
func TestSettingsChangeWhatTheCommandsChange(t *testing.T) {
	h := newHarness(t)
	b := h.session(phoneA)
	mustContain(t, b.get("/app/settings").Body, "Welcome line", "Forward replies to me", `value="en" selected`,
		`href="/app/settings/keys"`, `href="/app/settings/webhooks"`)
	r := b.post("/app/settings", "/app/settings/welcome", url.Values{"welcome": {"  Classes   daily at 7am! "}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("welcome: %d %s", r.Status, r.Body)
	}
	if got := h.client(phoneA).Welcome; got != "Classes daily at 7am!" {
		t.Fatalf("welcome line %q", got)
	}
	if got := h.text(phoneA, "WELCOME"); !strings.Contains(got, "Classes daily at 7am!") {
		t.Errorf("WELCOME shows %q", got)
	}
	mustContain(t, b.get("/app/settings").Body, "Saved your welcome line.", "Classes daily at 7am!")
	if r := b.post("/app/settings", "/app/settings/welcome", url.Values{"welcome": {""}}); r.Status != http.StatusSeeOther || h.client(phoneA).Welcome != "" {
		t.Errorf("removing the line: %d %q", r.Status, h.client(phoneA).Welcome)
	}
	if r := b.post("/app/settings", "/app/settings/replies", url.Values{"replies": {"off"}}); r.Status != http.StatusSeeOther || !h.client(phoneA).RepliesOff {
		t.Fatalf("replies off: %d", r.Status)
	}
	if got := h.text(phoneA, "REPLIES"); !strings.Contains(strings.ToLower(got), "off") {
		t.Errorf("REPLIES after turning them off on the page: %q", got)
	}
	mustContain(t, b.get("/app/settings").Body, `value="off" checked`)
	b.post("/app/settings", "/app/settings/replies", url.Values{"replies": {"on"}})
	if h.client(phoneA).RepliesOff {
		t.Error("replies not back on")
	}
	if r := b.post("/app/settings", "/app/settings/language", url.Values{"lang": {"es"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("language: %d", r.Status)
	}
	if got := h.text(phoneA, "HELP"); !strings.Contains(got, "tu lista YOGA") {
		t.Errorf("HELP after choosing Spanish on the page: %q", got)
	}
	mustContain(t, b.get("/app/settings").Body, `value="es" selected`)
	// B's settings did not move.
	if c := h.client(phoneB); c.Welcome != "" || c.RepliesOff {
		t.Errorf("B changed: %+v", c)
	}
}

// What WELCOME refuses the page refuses, with the reason and the line as
// typed; bad choices are 400s; nothing changes.
func TestSettingsRefuseBadInput(t *testing.T) {
	h := newHarness(t)
	b := h.session(phoneA)
	for _, text := range []string{strings.Repeat("Very long welcome line. ", 12), "Hola\u200e mundo", "Bienvenidos 🎉 " + strings.Repeat("á", 90),
		strings.Repeat("x", 5000), "line one\x00two"} {
		r := b.post("/app/settings", "/app/settings/welcome", url.Values{"welcome": {text}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `class="error"`) {
			t.Errorf("welcome %.30q: %d", text, r.Status)
		}
	}
	for field, values := range map[string][]string{"/app/settings/replies": {"", "maybe", "ON "}, "/app/settings/language": {"", "fr", "EN", "english"}} {
		key := "replies"
		if strings.HasSuffix(field, "language") {
			key = "lang"
		}
		for _, v := range values {
			if r := b.post("/app/settings", field, url.Values{key: {v}}); r.Status != http.StatusBadRequest {
				t.Errorf("%s %q: %d", field, v, r.Status)
			}
		}
	}
	if c := h.client(phoneA); c.Welcome != "" || c.RepliesOff {
		t.Errorf("a refused form changed the client: %+v", c)
	}
	if r := b.post("/app/settings", "/app/settings/welcome", url.Values{"welcome": {strings.Repeat("y", 70000)}}); r.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("a 70 KB form: %d", r.Status)
	}
}
