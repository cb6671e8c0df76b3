package admin

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"nudges/bot"
	"nudges/store"
	"nudges/webhooks/web/browsertest"
)

// seedScreens writes enough for every table to be full: clients with long
// names in each status, subscribers on several lists, an announcement
// sending and one done.
func seedScreens(h *harness) {
	seedYoga(h)
	h.write(func(tx *store.Tx) error {
		statuses := []bot.ClientStatus{bot.ClientActive, bot.ClientPastDue, bot.ClientSuspended, bot.ClientPending}
		for i, st := range statuses {
			c := &bot.Client{Phone: bot.Phone(fmt.Sprintf("+1555333000%d", i)), Name: fmt.Sprintf("Riverside Community Bakery %d", i),
				Keyword: fmt.Sprintf("BAKERY%d", i), Status: st, PeriodEnd: t0.AddDate(0, 0, 20+i), Used: i, CreatedAt: t0,
				ResumeStatus: bot.ClientActive}
			if err := tx.PutClient(c); err != nil {
				return err
			}
			p := bot.Phone(fmt.Sprintf("+1555444000%d", i))
			for _, kw := range []string{"YOGA", c.Keyword} {
				if _, err := tx.Subscribe(kw, p, t0.Add(-time.Duration(i)*time.Hour)); err != nil {
					return err
				}
			}
			conv := &bot.Conversation{Phone: p, Locale: "en", FirstSeen: t0, LastSeen: t0, OptedOut: i == 2, OptedOutAt: t0}
			if err := tx.PutConversation(conv); err != nil {
				return err
			}
		}
		return tx.PutAnnouncement(&bot.Announcement{Client: yogaPhone, Keyword: "YOGA", Text: "Studio closed Monday", Total: 1,
			Settled: 1, Counts: map[bot.MessageStatus]int{bot.StatusSent: 1}, CreatedAt: t0.Add(-24 * time.Hour), DoneAt: t0})
	})
}

// TestScreensAtDesktopAndPhoneWidths signs in with headless Chromium and
// takes a full-page screenshot of each page at 1280 and 390 px (set
// NUDGES_TEST_OUT to keep them). At 390 px no page may be wider than the
// screen, and each table's key column stays in view when its row scrolls.
func TestScreensAtDesktopAndPhoneWidths(t *testing.T) {
	ctx := newBrowser(t)
	h := newHarness(t)
	seedScreens(h)
	browserLogin(t, ctx, h)
	dir := outDir(t)
	pages := map[string]string{"dashboard": "/", "clients": "/clients", "subscribers": "/subscribers",
		"announcements": "/announcements", "plans": "/plans", "notfound": "/nope",
		"subscriber": "/subscribers/+15551110001", "simulator": "/simulator",
		"client": "/clients/" + string(yogaPhone), "codes": "/codes", "keys": "/keys", "webhooks": "/webhooks"}
	for _, width := range []int64{1280, 390} {
		var opts []chromedp.EmulateViewportOption
		if width < 500 {
			opts = append(opts, chromedp.EmulateMobile) // a phone: scroll bars take no room
		}
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 844, opts...)); err != nil {
			t.Fatal(err)
		}
		for name, path := range pages {
			if err := chromedp.Do(ctx, chromedp.Navigate(h.srv.URL+"/admin"+path), chromedp.WaitVisible(chromedp.CSS("main h1"))); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%d-%s.png", width, name)), png, 0o644); err != nil {
				t.Fatal(err)
			}
			if width < 500 && name == "dashboard" {
				browsertest.CheckChartLabels(t, ctx)
			}
			if width < 500 {
				browsertest.CheckFits(t, ctx, name) // leaves the tables scrolled to the right
				png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%d-%s-scrolled.png", width, name)), png, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	t.Logf("screenshots in %s", dir)
}

// browserLogin signs the admin in through the login pages.
func browserLogin(t *testing.T, ctx context.Context, h *harness) {
	t.Helper()
	submit := chromedp.CSS("form.card button[type=submit]")
	err := chromedp.Do(ctx,
		chromedp.Navigate(h.srv.URL+"/admin/login"), chromedp.WaitVisible(chromedp.ID("phone")),
		chromedp.SendKeys(chromedp.ID("phone"), string(adminPhone)),
		chromedp.Click(submit), chromedp.WaitVisible(chromedp.ID("code")))
	if err != nil {
		t.Fatalf("ask for a code: %v", err)
	}
	err = chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("code"), h.lastCode(adminPhone)), chromedp.Click(submit),
		chromedp.WaitVisible(chromedp.ID("subscribers")))
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
}
