package admin

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"nudges/bot"
	"nudges/store"
)

// simState is what the simulator must leave alone on a refused phone.
func (h *harness) simState(p bot.Phone) (bot.Conversation, int) {
	h.t.Helper()
	var conv *bot.Conversation
	var log []bot.LogEntry
	h.write(func(tx *store.Tx) error {
		var err error
		if conv, err = tx.Conversation(p); err != nil {
			return err
		}
		log, err = tx.LogOf(p, 1000)
		return err
	})
	return *conv, len(log)
}

// The simulator never touches a phone with real traffic: it says why on the
// page, suggests a made-up number, and hands nothing to the engine.
func TestSimulatorRefusesRealPhones(t *testing.T) {
	h := newHarness(t)
	seedYoga(h)
	const texted = bot.Phone("+15551110002")
	if _, err := h.engine.Handle(context.Background(), bot.Inbound{SID: "SMreal", From: texted, Body: "YOGA"}); err != nil {
		t.Fatal(err)
	}
	h.login()
	for _, c := range []struct {
		phone bot.Phone
		why   string
	}{
		{adminPhone, "is a console admin's phone"},
		{texted, "has texted the service for real"},
		{yogaPhone, "is a real client (Sunrise Yoga)"},
	} {
		convBefore, logBefore := h.simState(c.phone)
		h.get("/admin/simulator")
		st, _, body := h.post("/admin/simulator", url.Values{"phone": {string(c.phone)}, "text": {"PING"}})
		if st != http.StatusUnprocessableEntity {
			t.Errorf("%s: status %d, want 422", c.phone, st)
		}
		mustContain(t, body, c.why, "made-up number", "+15550100123")
		if strings.Contains(body, `id="reply"`) {
			t.Errorf("%s: the message was handled", c.phone)
		}
		conv, n := h.simState(c.phone)
		if conv.Simulated != convBefore.Simulated || n != logBefore {
			t.Errorf("%s: simulated %v, log %d → %d", c.phone, conv.Simulated, logBefore, n)
		}
	}
	// A fresh number still works, and can be simulated again.
	for range 2 {
		st, _, body := h.post("/admin/simulator", url.Values{"phone": {"+15550100123"}, "text": {"PING"}})
		if st != http.StatusOK {
			t.Fatalf("fresh phone: %d\n%s", st, body)
		}
		mustContain(t, body, `id="reply">pong follows<`, "Captured outbound")
	}
}

// refusingHandler answers like the engine does for a phone it will not simulate.
type refusingHandler struct{}

func (refusingHandler) Handle(context.Context, bot.Inbound) (bot.Reply, error) {
	return bot.Reply{}, bot.Errorf(bot.EINVALID, "+15550100123 has texted the service for real: simulate with a made-up number")
}

// A refusal from the engine (a real text that arrived after the check) is
// shown on the page, not a 500.
func TestSimulatorShowsTheEnginesRefusal(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Handler = refusingHandler{} })
	h.login()
	h.get("/admin/simulator")
	st, _, body := h.post("/admin/simulator", url.Values{"phone": {"+15550100123"}, "text": {"hi"}})
	if st != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422", st)
	}
	mustContain(t, body, "has texted the service for real: simulate with a made-up number", `value="+15550100123"`)
}
