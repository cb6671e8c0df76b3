package app

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"nudges/store"
	"nudges/webhooks/web/browsertest"
)

// seedAnnouncementScreens gives client A a list, a completed announcement
// with clicks and a failure, one going out, one scheduled, and returns
// the completed one's id.
func seedAnnouncementScreens(h *harness) uint64 {
	h.join("YOGA", subs...)
	b := h.signedIn(phoneA)
	_, form := b.previewed("Spring schedule is out: https://example.com/sunrise-yoga/spring-schedule-2026 — book early, classes fill up fast!", "")
	done, _ := b.sent(form, "now")
	h.deliver(subs[2])
	h.write(func(tx *store.Tx) error { return tx.CountReply(done) })
	a, _ := h.svc.Get(phoneA, done)
	for i := range 3 {
		h.db.FollowLink(a.Links[0].Code, fmt.Sprintf("198.51.100.%d", i), true, h.clock.Now(), time.Hour)
	}
	_, form = b.previewed("Studio closed Monday for the holiday. See you Tuesday!", "")
	b.sent(form, "now")
	_, form = b.previewed("Workshop Saturday 10am: bring a mat and water.", "")
	form.Set("send_at", "2026-04-04T08:00")
	b.sent(form, "schedule")
	return done
}

// TestAnnouncementScreens takes full-page screenshots of the Announcements
// pages at 1280 and 390 px in headless Chromium (NUDGES_TEST_OUT keeps
// them): the list, one announcement, the form, its preview and a refusal.
// At 390 px no page may be wider than the screen.
func TestAnnouncementScreens(t *testing.T) {
	ctx := browsertest.New(t, chromedp.WindowSize(412, 915))
	h := newHarness(t)
	done := seedAnnouncementScreens(h)
	srv := httptest.NewServer(h.e)
	t.Cleanup(srv.Close)
	err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/app/login"), chromedp.WaitVisible(chromedp.ID("phone")),
		chromedp.SendKeys(chromedp.ID("phone"), string(phoneA)), chromedp.Click(chromedp.CSS("form.card button[type=submit]")),
		chromedp.WaitVisible(chromedp.ID("code")), chromedp.SendKeys(chromedp.ID("code"), "123456"),
		chromedp.Click(chromedp.CSS("form.card button[type=submit]")), chromedp.WaitVisible(chromedp.ID("subscribers")))
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
	dir := browsertest.ShotsDir(t, "app")
	type screen struct {
		name, path string
		then       []chromedp.Action[chromedp.Void] // typed and clicked after loading
	}
	typed := "Café open late tonight ☕ until 9pm: https://example.com/menu"
	screens := []screen{
		{"announcements", "/announcements", nil},
		{"announcement", fmt.Sprintf("/announcements/%d", done), nil},
		{"compose", "/announcements/new", nil},
		{"preview", "/announcements/new", []chromedp.Action[chromedp.Void]{
			chromedp.SendKeys(chromedp.ID("text"), typed), chromedp.Click(chromedp.CSS("#compose button[type=submit]")),
			chromedp.WaitVisible(chromedp.ID("preview"))}},
		{"refused", "/announcements/new", []chromedp.Action[chromedp.Void]{
			chromedp.SendKeys(chromedp.ID("text"), typed), chromedp.Click(chromedp.CSS("#compose button[type=submit]")),
			chromedp.WaitVisible(chromedp.ID("preview")), chromedp.Click(chromedp.ID("schedule")), // no time picked
			chromedp.WaitVisible(chromedp.CSS("p.error"))}},
	}
	for _, width := range []int64{1280, 390} {
		var opts []chromedp.EmulateViewportOption
		if width < 500 {
			opts = append(opts, chromedp.EmulateMobile)
		}
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 844, opts...)); err != nil {
			t.Fatal(err)
		}
		for _, s := range screens {
			acts := append([]chromedp.Action[chromedp.Void]{chromedp.Navigate(srv.URL + "/app" + s.path), chromedp.WaitVisible(chromedp.CSS("main h1"))}, s.then...)
			if err := chromedp.Do(ctx, acts...); err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			shoot(t, ctx, filepath.Join(dir, fmt.Sprintf("%d-%s.png", width, s.name)))
			if width < 500 {
				fitsPhone(t, ctx, s.name)
			}
		}
	}
	t.Logf("screenshots in %s", dir)
}

func shoot(t *testing.T, ctx context.Context, file string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// fitsPhone fails if the page scrolls sideways.
func fitsPhone(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	w, err := chromedp.Run(ctx, chromedp.Evaluate[[]int]("[document.documentElement.scrollWidth, document.documentElement.clientWidth]"))
	if err != nil || len(w) != 2 || w[0] > w[1] {
		t.Errorf("%s at 390 px: page scroll/client widths %v (%v)", page, w, err)
	}
}
