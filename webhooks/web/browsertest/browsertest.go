// Package browsertest starts headless Chromium for the browser tests of the
// console and the public pages, and says where their screenshots go.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Chromium finds Debian's chromium ($NUDGES_CHROMIUM first), skipping
// without it, or failing under NUDGES_INTEGRATION=1 as in .ci/run.
func Chromium(t *testing.T) string {
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
		t.Fatal("chromium not found and NUDGES_INTEGRATION=1: install it (apt-get install -y chromium), as .ci/run does")
	}
	t.Skip("chromium not found: the browser tests run under .ci/run (which installs it) or with apt-get install -y chromium")
	return ""
}

// New starts a headless Chromium for t with extra options (a window size,
// say) and returns its context, bounded to 90 s and closed at cleanup.
func New(t *testing.T, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	opts := append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(Chromium(t)),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	}, extra...)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}

// ShotsDir is where screenshots go: $NUDGES_TEST_OUT/name, else a temp dir.
func ShotsDir(t *testing.T, name string) string {
	t.Helper()
	if base := os.Getenv("NUDGES_TEST_OUT"); base != "" {
		dir := filepath.Join(base, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	return t.TempDir()
}

// CheckFits fails if the page scrolls sideways, or if scrolling a table's
// container to its far right hides the table's first column.
func CheckFits(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	w, err := chromedp.Run(ctx, chromedp.Evaluate[[]int]("[document.documentElement.scrollWidth, document.documentElement.clientWidth]"))
	if err != nil || len(w) != 2 || w[0] > w[1] {
		t.Errorf("%s at 390 px: page scroll/client widths %v (%v)", page, w, err)
	}
	const js = `[...document.querySelectorAll('.scroll')].map(s => {
		s.scrollLeft = s.scrollWidth;
		const key = s.querySelector('tbody tr td:first-child, tbody tr th:first-child');
		if (!key) return true;
		const r = key.getBoundingClientRect(), box = s.getBoundingClientRect();
		return r.left >= box.left - 1 && r.right <= box.right + 1;
	})`
	visible, err := chromedp.Run(ctx, chromedp.Evaluate[[]bool](js))
	if err != nil {
		t.Fatalf("%s: %v", page, err)
	}
	for i, ok := range visible {
		if !ok {
			t.Errorf("%s at 390 px: table %d loses its key column when scrolled", page, i+1)
		}
	}
}

// CheckChartLabels fails if the growth chart's labels (dates, counts) are
// drawn smaller than 10 px: the SVG scales with the page, and at 390 px an
// 11-unit label was 6.5 px.
func CheckChartLabels(t *testing.T, ctx context.Context) {
	t.Helper()
	const js = `[...document.querySelectorAll('svg.chart text')].map(e => e.getBoundingClientRect().height)`
	heights, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](js))
	if err != nil || len(heights) == 0 {
		t.Fatalf("chart labels: %v %v", heights, err)
	}
	for _, h := range heights {
		if h < 10 {
			t.Errorf("a chart label is %.1f px high at 390 px (want 10 or more): %v", h, heights)
			return
		}
	}
}
