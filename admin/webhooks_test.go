package admin

import (
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"nudges/bot"
	"nudges/store"
)

func hookValues(u string, events ...string) url.Values {
	return url.Values{"url": {u}, "event": events}
}

func (h *harness) hookEndpoints() []bot.HookEndpoint {
	var out []bot.HookEndpoint
	h.write(func(tx *store.Tx) error { var err error; out, err = tx.HookEndpoints(""); return err })
	return out
}

func allowLoopback(c *Config) { c.WebhookAllow = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")} }

// An admin adds an endpoint, sees its secret once, sends it a test event
// (listed under the deliveries) and deletes it.
func TestWebhooksCreateTestDelete(t *testing.T) {
	h := newHarness(t, allowLoopback)
	h.login()
	h.get("/admin/webhooks")
	st, _, body := h.post("/admin/webhooks", hookValues("http://127.0.0.1:19401/hook", bot.HookSubscriberJoined, bot.HookReplyReceived))
	if st != http.StatusOK {
		t.Fatalf("create: %d %s", st, body)
	}
	eps := h.hookEndpoints()
	if len(eps) != 1 || eps[0].Owner != bot.HookAdmin || !eps[0].Enabled || len(eps[0].Events) != 2 {
		t.Fatalf("endpoints %+v", eps)
	}
	mustContain(t, body, eps[0].Secret, "not shown again")
	if _, _, again := h.get("/admin/webhooks"); strings.Contains(again, eps[0].Secret) {
		t.Fatal("the secret is shown a second time")
	}
	id := "/admin/webhooks/" + strconv.FormatUint(eps[0].ID, 10)
	if st, loc, _ := h.post(id+"/test", nil); st != http.StatusSeeOther || loc != "/admin/webhooks" {
		t.Fatalf("test: %d %s", st, loc)
	}
	_, _, page := h.get("/admin/webhooks")
	mustContain(t, page, bot.HookTest, "pending", "Test event queued")
	if st, _, _ := h.post(id+"/delete", nil); st != http.StatusSeeOther || len(h.hookEndpoints()) != 0 {
		t.Fatalf("delete: %d, %d left", st, len(h.hookEndpoints()))
	}
}

// Bad input is refused with the reason and saves nothing: private or
// loopback addresses without NUDGES_WEBHOOK_ALLOW, plain http, no or
// unknown events, an unknown endpoint id.
func TestWebhooksBadInput(t *testing.T) {
	h := newHarness(t)
	h.login()
	h.get("/admin/webhooks")
	cases := []struct {
		form url.Values
		want string
	}{
		{hookValues("https://127.0.0.1/hook", bot.HookSubscriberJoined), "loopback"},
		{hookValues("https://10.0.0.5/hook", bot.HookSubscriberJoined), "private"},
		{hookValues("https://169.254.169.254/latest", bot.HookSubscriberJoined), "link-local"},
		{hookValues("https://[::1]/", bot.HookSubscriberJoined), "NUDGES_WEBHOOK_ALLOW"},
		{hookValues("http://8.8.8.8/hook", bot.HookSubscriberJoined), "https://"},
		{hookValues("javascript:alert(1)", bot.HookSubscriberJoined), "https://"},
		{hookValues("https://8.8.8.8/hook"), "pick one"},
		{hookValues("https://8.8.8.8/hook", "subscriber.exploded"), "pick one"},
		{hookValues("https://8.8.8.8/"+strings.Repeat("a", 2100), bot.HookSubscriberJoined), "too long"},
	}
	for _, c := range cases {
		st, _, body := h.post("/admin/webhooks", c.form)
		if st != http.StatusUnprocessableEntity || !strings.Contains(body, c.want) {
			t.Errorf("%v: %d, want 422 saying %q", c.form, st, c.want)
		}
	}
	if n := len(h.hookEndpoints()); n != 0 {
		t.Fatalf("%d endpoints saved from bad input", n)
	}
	for _, p := range []string{"/admin/webhooks/99/delete", "/admin/webhooks/x/test"} {
		if st, loc, _ := h.post(p, nil); st != http.StatusSeeOther || loc != "/admin/webhooks" {
			t.Errorf("%s: %d %s", p, st, loc)
		}
	}
}

// The page needs a session, and every form the CSRF token.
func TestWebhooksNeedSessionAndCSRF(t *testing.T) {
	h := newHarness(t, allowLoopback)
	if st, loc, _ := h.get("/admin/webhooks"); st != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/login") {
		t.Errorf("GET signed out: %d %s", st, loc)
	}
	h.get("/admin/login")
	if st, _, _ := h.post("/admin/webhooks", hookValues("http://127.0.0.1/", bot.HookSubscriberJoined)); st != http.StatusSeeOther && st != http.StatusForbidden {
		t.Errorf("POST signed out: %d", st)
	}
	h.login()
	h.get("/admin/webhooks")
	if st, _, _ := h.post("/admin/webhooks", url.Values{"_csrf": {"forged"}, "url": {"http://127.0.0.1/"}, "event": {bot.HookSubscriberJoined}}); st != http.StatusForbidden {
		t.Errorf("forged CSRF: %d", st)
	}
	h.write(func(tx *store.Tx) error {
		return tx.PutHookEndpoint(&bot.HookEndpoint{Owner: bot.HookAdmin, URL: "http://127.0.0.1/", Events: bot.HookEvents, Enabled: true})
	})
	for _, p := range []string{"/admin/webhooks/1/delete", "/admin/webhooks/1/test"} {
		if st, _, _ := h.post(p, url.Values{"_csrf": {""}}); st != http.StatusForbidden {
			t.Errorf("%s without CSRF: %d", p, st)
		}
	}
	var rows []bot.HookDelivery
	h.write(func(tx *store.Tx) error { var err error; rows, err = tx.HookDeliveries(0, 10); return err })
	if len(h.hookEndpoints()) != 1 || len(rows) != 0 {
		t.Fatalf("forged forms acted: %d endpoints, %d deliveries", len(h.hookEndpoints()), len(rows))
	}
}
