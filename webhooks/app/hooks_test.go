package app

import (
	"context"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"nudges/bot"
	"nudges/store"
	"nudges/webhooks/hookout"
)

// publicHook is an endpoint on a public address (an IP literal: no DNS).
const publicHook = "https://93.184.216.34/nudges"

// hookForm is the add-an-endpoint form for u with events (subscriber.joined
// when none are given).
func hookForm(u string, events ...string) url.Values {
	if len(events) == 0 {
		events = []string{bot.HookSubscriberJoined}
	}
	return url.Values{"url": {u}, "event": events}
}

// endpointOf registers an endpoint of owner's for the wall table.
func endpointOf(h *harness, owner bot.Phone) map[string]string {
	e := register(h, owner, publicHook, bot.HookSubscriberJoined)
	return map[string]string{"id": fmt.Sprint(e.ID)}
}

func register(h *harness, owner bot.Phone, u string, events ...string) *bot.HookEndpoint {
	h.t.Helper()
	e, err := hookout.Register(context.Background(), h.db, hookout.Guard{Allow: h.dash.cfg.WebhookAllow}, owner, u, events, h.clock.Now())
	if err != nil {
		h.t.Fatal(err)
	}
	return e
}

// endpoints are p's endpoints as stored.
func endpoints(h *harness, p bot.Phone) []bot.HookEndpoint {
	h.t.Helper()
	var out []bot.HookEndpoint
	h.write(func(tx *store.Tx) (err error) { out, err = tx.HookEndpoints(p); return err })
	return out
}

// deliveries are the delivery rows of endpoint id, newest first.
func deliveries(h *harness, id uint64) []bot.HookDelivery {
	h.t.Helper()
	var out []bot.HookDelivery
	h.write(func(tx *store.Tx) (err error) { out, err = tx.HookDeliveries(id, 50); return err })
	return out
}

var newSecret = regexp.MustCompile(`<code id="new-secret">(whsec_[^<]+)</code>`)

// secretOn is the secret a page shows, or "".
func secretOn(body string) string {
	m := newSecret.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// Adding an endpoint shows its secret on that answer only; the list shows
// the endpoint with its events, and never the secret again.
func TestHookAddShowsSecretOnce(t *testing.T) {
	h := newHarness(t)
	b := h.signedIn(phoneA)
	r := b.post("/app/settings/webhooks", "/app/settings/webhooks", hookForm(publicHook, bot.HookSubscriberJoined, bot.HookReplyReceived))
	secret := secretOn(r.Body)
	if r.Status != http.StatusOK || secret == "" {
		t.Fatalf("add: %d\n%s", r.Status, r.Body)
	}
	eps := endpoints(h, phoneA)
	if len(eps) != 1 || eps[0].Secret != secret || eps[0].URL != publicHook || !eps[0].Enabled ||
		strings.Join(eps[0].Events, ",") != "subscriber.joined,reply.received" {
		t.Fatalf("stored: %+v", eps)
	}
	list := b.get("/app/settings/webhooks").Body
	mustContain(t, list, publicHook, "subscriber.joined, reply.received", fmt.Sprintf("/app/settings/webhooks/%d", eps[0].ID))
	if strings.Contains(list, "whsec_") || strings.Contains(b.get(fmt.Sprintf("/app/settings/webhooks/%d", eps[0].ID)).Body, "whsec_") {
		t.Fatal("the secret is shown again")
	}
	if len(endpoints(h, phoneB)) != 0 || strings.Contains(h.signedIn(phoneB).get("/app/settings/webhooks").Body, publicHook) {
		t.Fatal("A's endpoint shows under B")
	}
}

// Bad addresses and events are refused with a reason, the form keeps what
// was typed, and nothing is stored.
func TestHookBadInput(t *testing.T) {
	h := newHarness(t)
	b := h.signedIn(phoneA)
	cases := []struct {
		form url.Values
		want string
	}{
		{hookForm("not a url"), "https://"},
		{hookForm("javascript:alert(1)"), "https://"},
		{hookForm("http://93.184.216.34/hook"), "must use https://"},
		{hookForm("https://127.0.0.1/hook"), "loopback"},
		{hookForm("https://10.0.0.5/hook"), "private"},
		{hookForm("https://192.168.1.1/hook"), "private"},
		{hookForm("https://169.254.169.254/latest/meta-data"), "link-local"},
		{hookForm("https://[::1]/"), "NUDGES_WEBHOOK_ALLOW"},
		{hookForm("https://user:pw@93.184.216.34/"), "https://"},
		{hookForm(publicHook, "subscriber.exploded"), "pick one"},
		{url.Values{"url": {publicHook}}, "pick one"},
		{hookForm(publicHook + "/" + strings.Repeat("a", 2048)), "too long"},
	}
	for _, c := range cases {
		r := b.post("/app/settings/webhooks", "/app/settings/webhooks", c.form)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, c.want) || strings.Contains(r.Body, "whsec_") {
			t.Errorf("%.60q: %d, want 422 saying %q", c.form.Get("url"), r.Status, c.want)
		}
	}
	r := b.post("/app/settings/webhooks", "/app/settings/webhooks", hookForm("http://93.184.216.34/x", bot.HookLinkClicked))
	mustContain(t, r.Body, `value="http://93.184.216.34/x"`, `value="link.clicked" checked`)
	if n := len(endpoints(h, phoneA)); n != 0 {
		t.Fatalf("%d endpoints stored from bad input", n)
	}
}

// NUDGES_WEBHOOK_ALLOW lets a client register a receiver on the
// operator's network, plain http included; its test event is delivered,
// signed with the secret the page showed, and the page shows the answer.
func TestHookTestEventDeliveredAndLogged(t *testing.T) {
	h := newHarness(t)
	var mu sync.Mutex
	var got []*http.Request
	var bodies [][]byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got, bodies = append(got, r), append(bodies, body)
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	b := h.signedIn(phoneA)
	if r := b.post("/app/settings/webhooks", "/app/settings/webhooks", hookForm(srv.URL+"/in")); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("loopback without the allow list: %d", r.Status)
	}
	h.dash.cfg.WebhookAllow = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	r := b.post("/app/settings/webhooks", "/app/settings/webhooks", hookForm(srv.URL+"/in"))
	secret := secretOn(r.Body)
	if secret == "" {
		t.Fatalf("add allowed endpoint: %d\n%s", r.Status, r.Body)
	}
	e := endpoints(h, phoneA)[0]
	page := fmt.Sprintf("/app/settings/webhooks/%d", e.ID)
	if r := b.post(page, page+"/test", nil); r.Status != http.StatusSeeOther || r.Loc != page {
		t.Fatalf("test: %d %q", r.Status, r.Loc)
	}
	mustContain(t, b.get(page).Body, "Test event queued", "webhook.test", "pending")
	q := &bot.HookQueue{Store: h.db, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	w := hookout.NewWorker(q, hookout.Guard{Allow: h.dash.cfg.WebhookAllow})
	w.Clock = h.clock
	if n, err := w.Pass(context.Background()); n != 1 || err != nil {
		t.Fatalf("pass: %d %v", n, err)
	}
	if len(got) != 1 {
		t.Fatalf("%d requests reached the receiver", len(got))
	}
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	// The test clock is fixed in the past: the timestamp is checked here.
	if err := wh.VerifyIgnoringTimestamp(bodies[0], got[0].Header); err != nil {
		t.Fatalf("signature: %v", err)
	}
	if ts := got[0].Header.Get("webhook-timestamp"); ts != fmt.Sprint(h.clock.Now().Unix()) {
		t.Fatalf("webhook-timestamp %s", ts)
	}
	mustContain(t, b.get(page).Body, "webhook.test", "delivered", ">202<", got[0].Header.Get("webhook-id"))
	mustContain(t, b.get("/app/settings/webhooks").Body, "webhook.test", ">202<")
}

// A client's endpoint hears its own list's events only, and a test event
// goes to the one endpoint asked.
func TestHookHearsOwnEventsOnly(t *testing.T) {
	h := newHarness(t)
	a := register(h, phoneA, publicHook, bot.HookSubscriberJoined)
	a2 := register(h, phoneA, publicHook+"/2", bot.HookSubscriberJoined)
	bEp := register(h, phoneB, publicHook, bot.HookSubscriberJoined)
	h.text("+15557770001", "GYM")
	if n := len(deliveries(h, a.ID)); n != 0 {
		t.Fatalf("A's endpoint got %d deliveries of B's join", n)
	}
	if n := len(deliveries(h, bEp.ID)); n != 1 {
		t.Fatalf("B's endpoint got %d deliveries of its join", n)
	}
	h.text("+15557770003", "YOGA")
	ds := deliveries(h, a.ID)
	if len(ds) != 1 || ds[0].Type != bot.HookSubscriberJoined || ds[0].Owner != phoneA {
		t.Fatalf("A's endpoint after A's join: %+v", ds)
	}
	b := h.signedIn(phoneA)
	page := fmt.Sprintf("/app/settings/webhooks/%d", a.ID)
	b.post(page, page+"/test", nil)
	if n := len(deliveries(h, a2.ID)); n != 1 {
		t.Fatalf("the test event reached another endpoint: %d rows", n)
	}
}

// An endpoint can be turned off (no test event then), on again, and
// deleted; A's session does none of it to B's endpoint.
func TestHookDisableEnableDelete(t *testing.T) {
	h := newHarness(t)
	e := register(h, phoneA, publicHook, bot.HookSubscriberJoined)
	other := register(h, phoneB, publicHook, bot.HookSubscriberJoined)
	b := h.signedIn(phoneA)
	page := fmt.Sprintf("/app/settings/webhooks/%d", e.ID)
	b.post(page, page+"/disable", nil)
	mustContain(t, b.get(page).Body, "off since", hookout.WhyOwner, "Turn on")
	if r := b.post(page, page+"/test", nil); r.Status != http.StatusSeeOther || len(deliveries(h, e.ID)) != 0 {
		t.Fatalf("test event while off: %d", r.Status)
	}
	mustContain(t, b.get(page).Body, "turned off")
	b.post(page, page+"/enable", nil)
	if eps := endpoints(h, phoneA); !eps[0].Enabled {
		t.Fatal("not on again")
	}
	for _, act := range []string{"disable", "delete", "test"} {
		path := fmt.Sprintf("/app/settings/webhooks/%d/%s", other.ID, act)
		if r := b.post(page, path, nil); r.Status != http.StatusNotFound {
			t.Errorf("%s of B's endpoint: %d", act, r.Status)
		}
	}
	if eps := endpoints(h, phoneB); len(eps) != 1 || !eps[0].Enabled || len(deliveries(h, other.ID)) != 0 {
		t.Fatalf("B's endpoint changed: %+v", eps)
	}
	if r := b.post(page, page+"/delete", nil); r.Status != http.StatusSeeOther || len(endpoints(h, phoneA)) != 0 {
		t.Fatalf("delete: %d", r.Status)
	}
	if r := b.get(page); r.Status != http.StatusNotFound {
		t.Fatalf("deleted endpoint's page: %d", r.Status)
	}
}

// A client may have at most maxEndpoints endpoints.
func TestHookLimit(t *testing.T) {
	h := newHarness(t)
	for i := range maxEndpoints {
		register(h, phoneA, fmt.Sprintf("%s/%d", publicHook, i), bot.HookSubscriberJoined)
	}
	b := h.signedIn(phoneA)
	r := b.post("/app/settings/webhooks", "/app/settings/webhooks", hookForm(publicHook))
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "delete one first") {
		t.Fatalf("endpoint %d: %d", maxEndpoints+1, r.Status)
	}
}
