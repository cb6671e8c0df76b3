package app

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"nudges/bot"
	"nudges/store"
	"nudges/webhooks/web/browsertest"
)

// seedScreens gives client A a long name, a list that grew over 90 days, a
// toll-free number waiting for its registration, a discount and a welcome
// line: every part of every page shows.
func seedScreens(h *harness) {
	h.write(func(tx *store.Tx) error {
		for i := range 60 {
			p := bot.Phone(fmt.Sprintf("+1555020%04d", i))
			if _, err := tx.Subscribe("YOGA", p, t0.AddDate(0, 0, -i*i/40).Add(-time.Duration(i)*time.Hour)); err != nil {
				return err
			}
		}
		if err := tx.PutDiscount(&bot.Discount{Code: "SPRING20", PercentOff: 20, Duration: bot.DurationRepeating, Months: 3, CreatedAt: t0}); err != nil {
			return err
		}
		c, err := tx.Client(phoneA)
		if err != nil {
			return err
		}
		c.Name, c.Keyword, c.Used, c.CustomerID = "Sunrise Yoga Studio of Portland", "YOGA", 7, "cus_1"
		c.Discount, c.DiscountFrom, c.Welcome = "SPRING20", t0, "Classes daily at 7am. Bring water!"
		c.Own = &bot.OwnNumber{Kind: bot.NumberTollFree, State: bot.NumberVerifying, Phone: "+18335550100", PhoneSID: "PN1", Since: t0.AddDate(0, 0, -2)}
		return tx.PutClient(c)
	})
}

// TestScreensAtDesktopAndPhoneWidths signs a client in with headless
// Chromium and takes a full-page screenshot of each dashboard page at 1280
// and 390 px (NUDGES_TEST_OUT keeps them, under app/). At 390 px no page
// may be wider than the screen, and the chart's labels stay readable.
func TestScreensAtDesktopAndPhoneWidths(t *testing.T) {
	ctx := browsertest.New(t, chromedp.WindowSize(412, 915))
	h := newHarness(t)
	seedScreens(h)
	srv := httptest.NewServer(h.e)
	t.Cleanup(srv.Close)
	dir := browsertest.ShotsDir(t, "app")
	shot := func(name string, width int64) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%d-%s.png", width, name)), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pages := []struct{ name, path string }{{"overview", "/"}, {"number", "/number"}, {"billing", "/billing"},
		{"settings", "/settings"}, {"notfound", "/nope"}}
	for _, width := range []int64{1280, 390} {
		var opts []chromedp.EmulateViewportOption
		if width < 500 {
			opts = append(opts, chromedp.EmulateMobile)
		}
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 844, opts...)); err != nil {
			t.Fatal(err)
		}
		if width == 1280 {
			browserSignIn(t, ctx, srv.URL, shot)
		}
		for _, p := range pages {
			if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/app"+p.path), chromedp.WaitVisible(chromedp.CSS("main h1"))); err != nil {
				t.Fatalf("%s: %v", p.name, err)
			}
			shot(p.name, width)
			if width < 500 {
				browsertest.CheckFits(t, ctx, p.name)
				if p.name == "overview" {
					browsertest.CheckChartLabels(t, ctx)
				}
			}
		}
	}
	// A suspended client sees the banner; a WEB link lands on its button.
	link := regexp.MustCompile(`/app/login/\S+`).FindString(h.text(phoneSusp, "WEB"))
	err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/app/"), chromedp.WaitVisible(chromedp.CSS("form.logout button")),
		chromedp.Click(chromedp.CSS("form.logout button")), chromedp.WaitVisible(chromedp.ID("phone")),
		chromedp.Navigate(srv.URL+link), chromedp.WaitVisible(chromedp.CSS("form.card button")))
	if err != nil {
		t.Fatalf("link page: %v", err)
	}
	shot("link", 390)
	err = chromedp.Do(ctx, chromedp.Click(chromedp.CSS("form.card button")), chromedp.WaitVisible(chromedp.CSS(".state-banner")))
	if err != nil {
		t.Fatalf("suspended overview: %v", err)
	}
	shot("suspended-overview", 390)
	browsertest.CheckFits(t, ctx, "suspended overview")
	t.Logf("screenshots in %s", dir)
}

// browserSignIn signs client A in through the login pages, shooting them.
func browserSignIn(t *testing.T, ctx context.Context, base string, shot func(string, int64)) {
	t.Helper()
	submit := chromedp.CSS("form.card button[type=submit]")
	err := chromedp.Do(ctx, chromedp.Navigate(base+"/app/login"), chromedp.WaitVisible(chromedp.ID("phone")))
	if err != nil {
		t.Fatalf("login page: %v", err)
	}
	shot("login", 1280)
	err = chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("phone"), string(phoneA)), chromedp.Click(submit), chromedp.WaitVisible(chromedp.ID("code")))
	if err != nil {
		t.Fatalf("ask for a code: %v", err)
	}
	shot("verify", 1280)
	err = chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("code"), "123456"), chromedp.Click(submit), chromedp.WaitVisible(chromedp.ID("subscribers")))
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
}
