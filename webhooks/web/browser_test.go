package web

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromium finds Debian's chromium, skipping (or failing under
// NUDGES_INTEGRATION=1) without it.
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("NUDGES_CHROMIUM"), "/usr/bin/chromium"} {
		if p != "" {
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if os.Getenv("NUDGES_INTEGRATION") == "1" {
		t.Fatal("chromium not found and NUDGES_INTEGRATION=1: apt-get install -y chromium")
	}
	t.Skip("chromium not found: apt-get install -y chromium to run the browser test")
	return ""
}

// shotsDir is where screenshots go: $NUDGES_TEST_OUT/web, else a temp dir.
func shotsDir(t *testing.T) string {
	if base := os.Getenv("NUDGES_TEST_OUT"); base != "" {
		dir := filepath.Join(base, "web")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	return t.TempDir()
}

// TestJoinPageInChromium opens the join page at a phone's width (390 px)
// and a desktop's (1280 px): it fits without sideways scrolling, the QR
// code loads, and the button is the sms: link with JOIN YOGA.
func TestJoinPageInChromium(t *testing.T) {
	path := chromium(t)
	srv, _ := newSite(t)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path), chromedp.Flag("headless", true), chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true), chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true), chromedp.UserDataDir(t.TempDir()))
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	dir := shotsDir(t)
	for _, size := range []struct {
		name          string
		width, height int64
		mobile        bool
	}{{"join-phone-390", 390, 844, true}, {"join-desktop-1280", 1280, 800, false}} {
		opts := []chromedp.EmulateViewportOption{}
		if size.mobile {
			opts = append(opts, chromedp.EmulateScale(3), chromedp.EmulateMobile)
		}
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(size.width, size.height, opts...),
			chromedp.Navigate(srv.URL+"/j/YOGA"), chromedp.WaitVisible(chromedp.CSS("a.button"))); err != nil {
			t.Fatalf("%s: %v", size.name, err)
		}
		check, err := chromedp.Run(ctx, chromedp.Evaluate[[]any](`[document.documentElement.scrollWidth <= window.innerWidth,
			document.querySelector("figure img").complete && document.querySelector("figure img").naturalWidth > 0,
			document.querySelector("a.button").getAttribute("href")]`))
		if err != nil || len(check) != 3 {
			t.Fatalf("%s: %v %v", size.name, check, err)
		}
		if check[0] != true || check[1] != true || !strings.HasPrefix(check[2].(string), "sms:+15550000000?&body=JOIN%20YOGA") {
			t.Errorf("%s: fits %v, QR loaded %v, button %v", size.name, check[0], check[1], check[2])
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, size.name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("screenshots in %s", dir)
}
