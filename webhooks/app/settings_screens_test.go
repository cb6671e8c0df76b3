package app

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"nudges/bot"
	"nudges/store"
	"nudges/webhooks/web/browsertest"
)

// seedSettings gives A keys (used, never used, revoked) and endpoints
// (one with delivered, failing and pending deliveries; one turned off with
// a long URL), so that every table and state is on screen.
func seedSettings(t *testing.T, h *harness) uint64 {
	t.Helper()
	for range 3 {
		keyOf(h, phoneA)
	}
	keys := storedKeys(t, h, phoneA)
	for i, name := range []string{"Website signup form", "Shopify order flow (the long-named one for the night shift)", "Old CRM"} {
		k := keys[i]
		k.Name = name
		switch i {
		case 0:
			k.LastUsed = t0.Add(3 * time.Hour)
		case 2:
			k.Revoked = t0.Add(5 * time.Hour)
		}
		h.write(func(tx *store.Tx) error { return tx.PutAPIKey(&k) })
	}
	e := register(h, phoneA, "https://93.184.216.34/hooks/nudges", bot.HookSubscriberJoined, bot.HookSubscriberLeft, bot.HookReplyReceived, bot.HookLinkClicked)
	off := register(h, phoneA, "https://93.184.216.34/integrations/very/long/path/that/goes/on/for/a/while/webhook?token=abcdefghijklmnopqrstuvwxyz0123456789", bot.HookAnnouncementCompleted)
	h.write(func(tx *store.Tx) error {
		body, _ := json.Marshal(map[string]any{"type": "subscriber.joined"})
		rows := []bot.HookDelivery{
			{Type: bot.HookSubscriberJoined, Status: bot.HookDelivered, Tries: 1, Code: 200},
			{Type: bot.HookReplyReceived, Status: bot.HookPending, Tries: 2, Code: 503, Error: "HTTP 503", NextAt: t0.Add(30 * time.Minute)},
			{Type: bot.HookTest, Status: bot.HookDelivered, Tries: 1, Code: 204},
			{Type: bot.HookLinkClicked, Status: bot.HookPending, Tries: 1, Error: "dial tcp 93.184.216.34:443: i/o timeout", NextAt: t0.Add(time.Minute)},
		}
		for i, d := range rows {
			d.MsgID, d.Endpoint, d.Owner, d.Body = fmt.Sprintf("msg_2yQ7f0ZkVx9m3T%02d", i), e.ID, phoneA, body
			d.CreatedAt = t0.Add(time.Duration(i) * time.Minute)
			if err := tx.PutHookDelivery(&d); err != nil {
				return err
			}
		}
		o, err := tx.HookEndpoint(off.ID)
		if err != nil {
			return err
		}
		o.Enabled, o.DisabledAt, o.Why = false, t0.Add(72*time.Hour), "deliveries failed for 3 days"
		return tx.PutHookEndpoint(o)
	})
	return e.ID
}

// TestSettingsScreens signs A in with headless Chromium and takes
// full-page screenshots of Settings › API keys and Webhooks (lists, a key
// and a secret just made, an endpoint's page) at 1280 and 390 px (set
// NUDGES_TEST_OUT to keep them). At 390 px no page is wider than the screen.
func TestSettingsScreens(t *testing.T) {
	ctx := browsertest.New(t, chromedp.WindowSize(1280, 900))
	h := newHarness(t)
	id := seedSettings(t, h)
	srv := httptest.NewServer(h.e)
	defer srv.Close()
	submit := chromedp.CSS("main form button[type=submit]")
	err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/app/login"), chromedp.WaitVisible(chromedp.ID("phone")),
		chromedp.SendKeys(chromedp.ID("phone"), string(phoneA)), chromedp.Click(submit), chromedp.WaitVisible(chromedp.ID("code")),
		chromedp.SendKeys(chromedp.ID("code"), "123456"), chromedp.Click(submit), chromedp.WaitVisible(chromedp.CSS("form.logout")))
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
	dir := browsertest.ShotsDir(t, "app")
	for _, width := range []int64{1280, 390} {
		var opts []chromedp.EmulateViewportOption
		if width < 500 {
			opts = append(opts, chromedp.EmulateMobile)
		}
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 844, opts...)); err != nil {
			t.Fatal(err)
		}
		shots := []struct {
			name, path string
			act        []chromedp.Action[chromedp.Void]
		}{
			{"keys", "/app/settings/keys", nil},
			{"key-made", "/app/settings/keys", []chromedp.Action[chromedp.Void]{chromedp.SendKeys(chromedp.ID("key-name"), "Zapier"),
				chromedp.Click(chromedp.CSS("form.card button[type=submit]")), chromedp.WaitVisible(chromedp.ID("new-key"))}},
			{"webhooks", "/app/settings/webhooks", nil},
			{"webhook-added", "/app/settings/webhooks", []chromedp.Action[chromedp.Void]{chromedp.SendKeys(chromedp.ID("hook-url"), "https://93.184.216.34/zap"),
				chromedp.Click(chromedp.CSS(`input[value="subscriber.joined"]`)), chromedp.Click(chromedp.CSS("form.card button[type=submit]")),
				chromedp.WaitVisible(chromedp.ID("new-secret"))}},
			{"webhook", fmt.Sprintf("/app/settings/webhooks/%d", id), nil},
		}
		for _, s := range shots {
			acts := append([]chromedp.Action[chromedp.Void]{chromedp.Navigate(srv.URL + s.path), chromedp.WaitVisible(chromedp.CSS("main h1"))}, s.act...)
			if err := chromedp.Do(ctx, acts...); err != nil {
				t.Fatalf("%s at %d: %v", s.name, width, err)
			}
			png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%d-settings-%s.png", width, s.name)), png, 0o644); err != nil {
				t.Fatal(err)
			}
			if width < 500 {
				w, err := chromedp.Run(ctx, chromedp.Evaluate[[]int]("[document.documentElement.scrollWidth, document.documentElement.clientWidth]"))
				if err != nil || len(w) != 2 || w[0] > w[1] {
					t.Errorf("%s at 390 px: page scroll/client widths %v (%v)", s.name, w, err)
				}
			}
		}
	}
	t.Logf("screenshots in %s", dir)
}
