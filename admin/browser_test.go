package admin

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"nudges/bot"
	"nudges/flows"
	"nudges/store"
	"nudges/webhooks/web/browsertest"
)

func newBrowser(t *testing.T) context.Context {
	t.Helper()
	return browsertest.New(t, chromedp.WindowSize(412, 915))
}

// outDir is where screenshots go: $NUDGES_TEST_OUT/admin, else a temp dir.
func outDir(t *testing.T) string { return browsertest.ShotsDir(t, "admin") }

// TestBrowserWalkthrough logs in with the texted code, creates a plan, joins
// a list from the simulator, finds the subscriber on the dashboard and logs
// out, in headless Chromium, on a phone-sized screen.
func TestBrowserWalkthrough(t *testing.T) {
	ctx := newBrowser(t)
	h := newHarness(t)
	h.engine.Brain = &flows.Brain{ServiceNumber: "+15550001000", PublicURL: "http://localhost:8080", Support: "help@nudges.example"}
	h.write(func(tx *store.Tx) error { // a client made in the simulator: simulated phones join only such lists
		if err := tx.PutConversation(&bot.Conversation{Phone: yogaPhone, Simulated: true, FirstSeen: t0, LastSeen: t0}); err != nil {
			return err
		}
		return tx.PutClient(&bot.Client{Phone: yogaPhone, Name: "Sunrise Yoga", Keyword: "YOGA", Status: bot.ClientActive, CreatedAt: t0})
	})
	dir := outDir(t)
	shot := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			png, err := chromedp.FullScreenshot(100)(ctx, tg)
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
		})
	}
	base := h.srv.URL + "/admin"
	do := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	text := func(sel chromedp.CSS) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}
	submit := chromedp.CSS("form.card button[type=submit]")

	do("ask for a code",
		chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.ID("phone")), shot("01-login"),
		chromedp.SendKeys(chromedp.ID("phone"), string(adminPhone)),
		chromedp.Click(submit),
		chromedp.WaitVisible(chromedp.ID("code")), shot("02-code"))
	code := h.lastCode(adminPhone)
	if code == "" {
		t.Fatal("no code in the outbox")
	}
	do("sign in",
		chromedp.SendKeys(chromedp.ID("code"), code),
		chromedp.Click(submit),
		chromedp.WaitVisible(chromedp.ID("subscribers")), shot("03-dashboard-empty"))

	do("create a plan",
		chromedp.Navigate(base+"/plans/new"), chromedp.WaitVisible(chromedp.ID("name")),
		chromedp.SendKeys(chromedp.ID("name"), "Pro"),
		chromedp.SendKeys(chromedp.ID("description"), "For busy studios"),
		chromedp.SendKeys(chromedp.ID("price"), "29.00"),
		chromedp.SetValue(chromedp.ID("quota"), "200"),
		chromedp.SetValue(chromedp.ID("interval"), "year"),
		shot("04-plan-form"),
		chromedp.Click(submit),
		chromedp.WaitVisible(chromedp.CSS(".notice")), shot("05-plans"))
	if notice := text(".notice"); !strings.Contains(notice, "Plan Pro saved") {
		t.Fatalf("plan notice %q", notice)
	}
	if row := text("table tbody tr"); !strings.Contains(row, "29.00 USD") || !strings.Contains(row, "year") {
		t.Fatalf("plan row %q", row)
	}

	do("join a list from the simulator",
		chromedp.Navigate(base+"/simulator"), chromedp.WaitVisible(chromedp.ID("sim-phone")),
		chromedp.SendKeys(chromedp.ID("sim-phone"), "+15551234567"),
		chromedp.SendKeys(chromedp.ID("sim-text"), "JOIN YOGA"),
		chromedp.Click(submit),
		chromedp.WaitVisible(chromedp.ID("reply")), shot("06-simulator"))
	if reply := text("#reply"); !strings.Contains(reply, "Sunrise Yoga") {
		t.Fatalf("simulator reply %q", reply)
	}

	do("see the subscriber on the dashboard",
		chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("subscribers")), shot("07-dashboard"))
	widths, err := chromedp.Run(ctx, chromedp.Evaluate[[]int]("[document.documentElement.scrollWidth, document.documentElement.clientWidth]"))
	if err != nil || len(widths) != 2 || widths[0] > widths[1] {
		t.Errorf("dashboard wider than the phone screen: scroll/client widths %v (%v)", widths, err)
	}
	if n := text("#subscribers"); n != "1" {
		t.Fatalf("dashboard subscribers %q", n)
	}

	do("log out",
		chromedp.Click(chromedp.CSS("form.logout button")),
		chromedp.WaitVisible(chromedp.ID("phone")),
		chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("phone")), shot("08-logged-out"))
	title, err := chromedp.Run(ctx, chromedp.Title())
	if err != nil || !strings.HasPrefix(title, "Sign in") {
		t.Fatalf("after logout the console shows %q (%v)", title, err)
	}
	t.Logf("screenshots in %s", dir)
}
