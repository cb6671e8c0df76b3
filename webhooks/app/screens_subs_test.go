package app

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"nudges/bot"
	"nudges/store"
	"nudges/webhooks/web/browsertest"
	"nudges/webhooks/webkit"
)

// seedSubsScreens fills A's list with phones that came every way, a
// finished import with invalid rows, and reply threads with answers.
func seedSubsScreens(t *testing.T, h *harness) {
	h.text(subscriber, "YOGA")
	h.text(phoneA, "Class at 7 tonight, bring a mat")
	h.text(phoneA, "CONFIRM")
	h.text(subscriber, "Is the class full? I might bring a friend who has never done yoga before.")
	h.text(phoneA, "#1 Not full, bring them along!")
	h.text(subscriber, "Great, thanks 🙏")
	sources := []string{
		bot.ConsentRecord{Text: "YOGA", SID: "SM1", To: "+15550000000"}.Source(),
		bot.ConsentRecord{Text: "JOIN YOGA", SID: "SM2", To: "+15550000000"}.Source(),
		bot.ConsentRecord{Admin: phoneA, File: "mailchimp-export-2026-03.csv", Note: "website"}.Source(),
		bot.ConsentRecord{Key: "key_1", Note: "shop checkout"}.Source(),
	}
	h.write(func(tx *store.Tx) error {
		for i := range 60 {
			p := bot.Phone(fmt.Sprintf("+1555100%04d", i))
			s := bot.Subscription{Keyword: "YOGA", Phone: p, JoinedAt: t0.AddDate(0, 0, -3*i), Source: sources[i%len(sources)]}
			if _, err := tx.AddSubscription(s); err != nil {
				return err
			}
			if i < 5 {
				if _, err := tx.Subscribe("YOGA", bot.Phone(fmt.Sprintf("+1555200%04d", i)), t0); err != nil {
					return err
				}
				if err := tx.PutHandle(phoneA, p, i+2); err != nil {
					return err
				}
				if err := tx.AppendThread(phoneA, i+2, bot.ThreadMessage{At: t0.Add(-time.Duration(i) * time.Hour), In: true, Text: "What time does the Saturday class start?"}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	j := &webkit.ImportJob{ID: "shot", Keyword: "YOGA", File: "mailchimp-export-2026-03.csv", By: phoneA, Started: t0}
	h.dash.jobs.Add(j)
	j.Report(1000, 1000, bot.ImportResult{Rows: 1204, Added: 1180, Already: 12, OptedOut: 3, Invalid: 9,
		Bad: []bot.BadRow{{Line: 17, Reason: "not a phone number: call me"}, {Line: 230, Reason: "joined_at is not a date (2026-03-30 or 2026-03-30T15:04:05Z): yesterday"}}})
}

// TestSubscribersAndRepliesScreens signs in with Chromium and takes a
// full-page screenshot of the Subscribers, import and Replies pages at 1280
// and 390 px (NUDGES_TEST_OUT keeps them); at 390 px no page may scroll
// sideways, and no reply page shows the subscriber's number.
func TestSubscribersAndRepliesScreens(t *testing.T) {
	ctx := browsertest.New(t, chromedp.WindowSize(1280, 900))
	h := newHarness(t)
	seedSubsScreens(t, h)
	srv := httptest.NewServer(h.e)
	t.Cleanup(srv.Close)
	err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/app/login"), chromedp.WaitVisible(chromedp.ID("phone")),
		chromedp.SendKeys(chromedp.ID("phone"), string(phoneA)), chromedp.Click(chromedp.CSS("main form button[type=submit]")),
		chromedp.WaitVisible(chromedp.ID("code")), chromedp.SendKeys(chromedp.ID("code"), "123456"),
		chromedp.Click(chromedp.CSS("main form button[type=submit]")), chromedp.WaitVisible(chromedp.ID("subscribers")))
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
	dir := browsertest.ShotsDir(t, "app")
	pages := map[string]string{"subscribers": "/subscribers", "subscribers-search": "/subscribers?q=555+100+001",
		"import": "/subscribers/import", "import-status": "/subscribers/import/shot", "replies": "/replies", "thread": "/replies/1"}
	for _, width := range []int64{1280, 390} {
		var opts []chromedp.EmulateViewportOption
		if width < 500 {
			opts = append(opts, chromedp.EmulateMobile)
		}
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 844, opts...)); err != nil {
			t.Fatal(err)
		}
		for name, path := range pages {
			if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/app"+path), chromedp.WaitVisible(chromedp.CSS("main h1"))); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%d-%s.png", width, name)), png, 0o644); err != nil {
				t.Fatal(err)
			}
			if width < 500 {
				w, err := chromedp.Run(ctx, chromedp.Evaluate[[]int]("[document.documentElement.scrollWidth, document.documentElement.clientWidth]"))
				if err != nil || len(w) != 2 || w[0] > w[1] {
					t.Errorf("%s at 390 px: page scroll/client widths %v (%v)", name, w, err)
				}
			}
			if strings.HasPrefix(name, "thread") || strings.HasPrefix(name, "replies") {
				html, err := chromedp.Run(ctx, chromedp.Evaluate[string]("document.documentElement.outerHTML"))
				if err != nil {
					t.Fatal(err)
				}
				noPhone(t, name+" in Chromium", html)
			}
		}
	}
	t.Logf("screenshots in %s", dir)
}
