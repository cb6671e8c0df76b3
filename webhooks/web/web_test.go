package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"nudges/bot"
	"nudges/locales"
	"nudges/store"
)

// newSite serves the pages over a real store holding an active client YOGA
// and a suspended one NAILS.
func newSite(t *testing.T) (*httptest.Server, *store.DB) {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "n.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	err = db.Update(func(tx bot.Tx) error {
		for _, c := range []*bot.Client{
			{Phone: "+15550009999", Name: "Sunrise Yoga & Pilates Studio of Portland", Keyword: "YOGA", Status: bot.ClientActive},
			{Phone: "+15550008888", Name: "Nail Bar", Keyword: "NAILS", Status: bot.ClientSuspended},
		} {
			if err := tx.PutClient(c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	pages, err := New(Config{Store: db, Links: db, Pictures: db, T: locales.MustLoad(),
		Number: func(*bot.Client) string { return "+15550000000" }, Clock: bot.NewFixedClock(time.Now())})
	if err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	pages.Register(e)
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv, db
}

func TestSMSLinkForms(t *testing.T) {
	if got := SMSLink("+15550000000", "YOGA"); got != "sms:+15550000000?&body=JOIN%20YOGA" {
		t.Errorf("SMSLink = %q", got)
	}
	if got := SMSLink(`+1 (555) 000-0000"><script>`, "YOGA"); got != "sms:+15550000000?&body=JOIN%20YOGA" {
		t.Errorf("SMSLink of a formatted number = %q", got)
	}
	if got := SMSLinkRFC("+15550000000", "CAFÉ1"); got != "sms:+15550000000?body=JOIN%20CAF%C3%891" {
		t.Errorf("SMSLinkRFC = %q", got)
	}
}

var module = regexp.MustCompile(`M(\d+) (\d+)h1v1h-1z`)

// The SVG holds a QR code: a square of 21+4k modules inside a 4-module
// quiet zone, with finder patterns in three corners and not the fourth.
func TestQRSVGDrawsACode(t *testing.T) {
	svg, err := QRSVG(SMSLink("+15550000000", "YOGA"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`viewBox="0 0 (\d+) (\d+)"`).FindStringSubmatch(string(svg))
	if m == nil || m[1] != m[2] {
		t.Fatalf("no square viewBox in %.120s", svg)
	}
	n, _ := strconv.Atoi(m[1])
	size := n - 2*quietZone
	if size < 21 || (size-21)%4 != 0 {
		t.Fatalf("%d modules across: not a QR version", size)
	}
	dark := map[[2]int]bool{}
	for _, mm := range module.FindAllStringSubmatch(string(svg), -1) {
		x, _ := strconv.Atoi(mm[1])
		y, _ := strconv.Atoi(mm[2])
		if x < quietZone || y < quietZone || x >= n-quietZone || y >= n-quietZone {
			t.Fatalf("module (%d,%d) in the quiet zone", x, y)
		}
		dark[[2]int{x - quietZone, y - quietZone}] = true
	}
	finder := func(x0, y0 int) bool {
		for y := range 7 {
			for x := range 7 {
				ring := x == 0 || y == 0 || x == 6 || y == 6
				core := x >= 2 && x <= 4 && y >= 2 && y <= 4
				if dark[[2]int{x0 + x, y0 + y}] != (ring || core) {
					return false
				}
			}
		}
		return true
	}
	if !finder(0, 0) || !finder(size-7, 0) || !finder(0, size-7) || finder(size-7, size-7) {
		t.Error("finder patterns are not in exactly three corners")
	}
	other, _ := QRSVG(SMSLink("+15550000000", "BAKERY"))
	if string(other) == string(svg) {
		t.Error("two keywords drew the same code")
	}
}

func TestIsPreview(t *testing.T) {
	for ua, want := range map[string]bool{
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1": false,
		"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36":                       false,
		"facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)":                                           true,
		"Mozilla/5.0 (Macintosh) AppleWebKit/601.2.4 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0":           true, // iMessage
		"Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)":                                                          true,
		"WhatsApp/2.23.20.0 A": true, "Twitterbot/1.0": true, "TelegramBot (like TwitterBot)": true,
		"Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)": true, "Applebot/0.1": true,
		"Mozilla/5.0 (compatible; Googlebot/2.1)": true, "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5": true,
		"": true, "curl/8.5.0": true,
	} {
		r := httptest.NewRequest(http.MethodGet, "/l/x", nil)
		r.Header.Set("User-Agent", ua)
		if got := IsPreview(r); got != want {
			t.Errorf("IsPreview(%q) = %v, want %v", ua, got, want)
		}
	}
	r := httptest.NewRequest(http.MethodGet, "/l/x", nil)
	r.Header.Set("User-Agent", "Mozilla/5.0 Chrome/120")
	r.Header.Set("Sec-Purpose", "prefetch")
	if !IsPreview(r) {
		t.Error("a browser's prefetch counted as a click")
	}
}

func TestPagesAnswerWithoutDetail(t *testing.T) {
	srv, _ := newSite(t)
	get := func(path, lang string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Header.Set("Accept-Language", lang)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/j/YOGA", "es-MX,es;q=0.9"); code != 200 || !strings.Contains(body, "Únete a Sunrise Yoga") || !strings.Contains(body, `lang="es"`) {
		t.Errorf("Spanish join page: %d %.200s", code, body)
	}
	_, want := get("/j/NOPE", "")
	for _, path := range []string{"/j/NAILS", "/j/NAILS/qr.svg", "/l/NOPE", "/m/NOPE", "/l/" + strings.Repeat("x", 40), "/m/a/b"} {
		if code, body := get(path, ""); code != http.StatusNotFound || body != want {
			t.Errorf("GET %s = %d, want the bare 404", path, code)
		}
	}
}
