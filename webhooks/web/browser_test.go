package web

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"nudges/webhooks/web/browsertest"
)

// TestJoinPageInChromium opens the join page at a phone's width (390 px)
// and a desktop's (1280 px): it fits without sideways scrolling, the QR
// code loads, and the button is the sms: link with JOIN YOGA.
func TestJoinPageInChromium(t *testing.T) {
	ctx := browsertest.New(t)
	srv, _ := newSite(t)
	dir := browsertest.ShotsDir(t, "web")
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
