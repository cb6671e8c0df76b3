package e2e

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"html"
	"image"
	"image/png"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"nudges/bot"
	"nudges/webhooks/twilio/twiliotest"
)

// growth is the setting of the join page, tracked link and MMS tests: a
// live client YOGA with two US subscribers and one in Spain, a pending
// client BAKERY, Twilio faked, the public URL a name the test signs with.
const (
	growthPublic  = "https://nudges.test"
	growthPending = "+15550008888"
	growthAbroad  = "+34612345678"
)

// startGrowth serves the growth fixtures with the fake Twilio.
func startGrowth(t *testing.T) (*Server, *twiliotest.Server) {
	t.Helper()
	db := filepath.Join(t.TempDir(), "n.db")
	Update(t, db, seedGrowth)
	tw := twiliotest.New(t)
	return Start(t, Options{DB: db, Twilio: tw, PublicURL: growthPublic}), tw
}

// seedGrowth writes the plan, YOGA (active, three subscribers) and BAKERY
// (pending).
func seedGrowth(tx bot.Tx) error {
	now := time.Now().UTC()
	p := &bot.Plan{Name: "Starter", PriceMinor: 900, Currency: "usd", Interval: bot.Month, Quota: 30, Active: true, CreatedAt: now}
	if err := tx.PutPlan(p); err != nil {
		return err
	}
	for _, c := range []*bot.Client{
		{Phone: Client, Name: ClientName, Keyword: "YOGA", Status: bot.ClientActive},
		{Phone: growthPending, Name: "Corner Bakery", Keyword: "BAKERY", Status: bot.ClientPending},
	} {
		c.PlanID, c.PeriodStart, c.PeriodEnd, c.CreatedAt, c.Locale = p.ID, now, now.AddDate(0, 1, 0), now, bot.English
		if err := tx.PutClient(c); err != nil {
			return err
		}
	}
	for _, phone := range []bot.Phone{"+15552000001", "+15552000002", growthAbroad} {
		conv := &bot.Conversation{Phone: phone, Locale: bot.English, FirstSeen: now, LastSeen: now}
		if err := tx.PutConversation(conv); err != nil {
			return err
		}
		if _, err := tx.Subscribe("YOGA", phone, now); err != nil {
			return err
		}
	}
	return nil
}

// announced waits for n announcements of the client at the fake and
// returns the requests, keyed by recipient.
func announced(t *testing.T, tw *twiliotest.Server, n int) map[string]twiliotest.Request {
	t.Helper()
	got := map[string]twiliotest.Request{}
	WaitFor(t, 10*time.Second, fmt.Sprintf("%d announcements at the fake Twilio", n), func() bool {
		clear(got)
		for _, r := range tw.Sent() {
			if strings.HasPrefix(r.Form.Get("Body"), ClientName+":") {
				got[r.Form.Get("To")] = r
			}
		}
		return len(got) >= n
	})
	return got
}

func TestJoinPageThroughTheService(t *testing.T) {
	s, _ := startGrowth(t)
	code, page := Get(t, s.URL+"/j/yoga")
	page = html.UnescapeString(page)
	if code != http.StatusOK {
		t.Fatalf("GET /j/yoga = %d", code)
	}
	for _, want := range []string{
		"Sunrise Yoga", "Text YOGA to +15550000000",
		`href="sms:+15550000000?&body=JOIN%20YOGA"`, // iOS 8+ and Android
		`href="sms:+15550000000?body=JOIN%20YOGA"`,  // RFC 5724, the fallback
		"Msg frequency varies", "STOP to opt out", `src="/j/YOGA/qr.svg"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("join page lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, "<script") {
		t.Error("the join page must work without JavaScript")
	}
	_, unknown := Get(t, s.URL+"/j/NOPE")
	for _, kw := range []string{"NOPE", "BAKERY", "YOGA/extra", strings.Repeat("A", 300)} {
		code, body := Get(t, s.URL+"/j/"+kw)
		if code != http.StatusNotFound || body != unknown || strings.Contains(body, "Bakery") {
			t.Errorf("GET /j/%.20s = %d, want the same bare 404 as an unknown keyword", kw, code)
		}
	}
	resp, err := http.Get(s.URL + "/j/YOGA/qr.svg")
	if err != nil {
		t.Fatal(err)
	}
	svg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/svg+xml" || xml.Unmarshal(svg, new(any)) != nil {
		t.Fatalf("qr.svg = %d %s %.80s", resp.StatusCode, resp.Header.Get("Content-Type"), svg)
	}
	if code, _ := Get(t, s.URL+"/j/BAKERY/qr.svg"); code != http.StatusNotFound {
		t.Errorf("QR of a pending client = %d, want 404", code)
	}
	for _, word := range []string{"LINK", "QR", "ENLACE"} {
		if reply := s.SMS(t, Client, word); !strings.Contains(reply, growthPublic+"/j/YOGA") || !strings.Contains(reply, "/j/YOGA/qr.svg") {
			t.Errorf("%s answered %q", word, reply)
		}
	}
	if reply := s.SMS(t, "+15552000001", "LINK"); strings.Contains(reply, "/j/") {
		t.Errorf("LINK from a subscriber answered %q", reply)
	}
}

var trackedLink = regexp.MustCompile(regexp.QuoteMeta(growthPublic) + `/l/([0-9A-Za-z]+)`)

func TestTrackedLinksCountClicks(t *testing.T) {
	s, tw := startGrowth(t)
	long := "https://shop.example.com/sale?item=" + strings.Repeat("x", 900)
	draft := "Sale today: https://shop.example.com/sale?x=1&y=2. Again: https://shop.example.com/sale?x=1&y=2 and (" + long + ")"
	reply := s.SMS(t, Client, draft)
	if strings.Contains(reply, "shop.example.com") || !strings.Contains(reply, growthPublic+"/l/") || !strings.Contains(reply, "2 links") {
		t.Fatalf("draft reply %q: want the delivered form with 2 tracked links", reply)
	}
	if reply := s.SMS(t, Client, "CONFIRM"); !strings.Contains(reply, "to 3 ") {
		t.Fatalf("CONFIRM answered %q", reply)
	}
	body := announced(t, tw, 3)["+15552000001"].Form.Get("Body")
	codes := trackedLink.FindAllStringSubmatch(body, -1)
	if len(codes) != 3 || codes[0][1] != codes[1][1] || codes[0][1] == codes[2][1] || !strings.Contains(body, "/l/"+codes[2][1]+")") {
		t.Fatalf("delivered %q: want one code per URL, the sentence's punctuation kept", body)
	}
	sale, longCode := s.URL+"/l/"+codes[0][1], s.URL+"/l/"+codes[2][1]
	browser := "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
	for _, ua := range []string{browser, browser, "Mozilla/5.0 (Linux; Android 14) Chrome/120 Mobile", "facebookexternalhit/1.1",
		"WhatsApp/2.23.20.0", "Slackbot-LinkExpanding 1.0", "TelegramBot (like TwitterBot)", ""} {
		resp := Fetch(t, sale, ua)
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "https://shop.example.com/sale?x=1&y=2" {
			t.Fatalf("GET /l/ as %q = %d to %q", ua, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	if resp := Fetch(t, longCode, browser); resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != long {
		t.Errorf("long URL: %d to %.60q", resp.StatusCode, resp.Header.Get("Location"))
	}
	for _, path := range []string{"/l/NOPE12345", "/l/" + strings.Repeat("z", 500), "/l/%00%ff", "/l/a.b"} {
		if resp := Fetch(t, s.URL+path, browser); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %.30s = %d, want 404", path, resp.StatusCode)
		}
	}
	// Clicks: one per client address an hour, whatever the browser: the
	// iPhone twice and Android from the same address count once, the long
	// link once; previews and the blank agent not at all.
	if reply := s.SMS(t, Client, "STATS"); !strings.Contains(reply, "2 link clicks") {
		t.Errorf("STATS answered %q, want 2 link clicks", reply)
	}
}

// TestTrackedLinksBelieveOnlyTrustedProxies: X-Forwarded-For tells click
// visitors apart only when the peer is listed in NUDGES_TRUSTED_PROXIES;
// by default loopback is no proxy, and forged addresses add nothing.
func TestTrackedLinksBelieveOnlyTrustedProxies(t *testing.T) {
	for _, c := range []struct {
		env    []string
		clicks string
	}{
		{nil, "; 1 link click."},
		{[]string{"NUDGES_TRUSTED_PROXIES=127.0.0.1/32,::1/128"}, "; 3 link clicks."},
	} {
		db := filepath.Join(t.TempDir(), "n.db")
		Update(t, db, seedGrowth)
		tw := twiliotest.New(t)
		s := Start(t, Options{DB: db, Twilio: tw, PublicURL: growthPublic, Env: c.env})
		s.SMS(t, Client, "Open day: https://yoga.example.com/open")
		s.SMS(t, Client, "CONFIRM")
		code := trackedLink.FindStringSubmatch(announced(t, tw, 3)["+15552000001"].Form.Get("Body"))
		if code == nil {
			t.Fatal("no tracked link")
		}
		for _, xff := range []string{"203.0.113.1", "203.0.113.2", "198.51.100.9, 203.0.113.3", "203.0.113.1"} {
			req, _ := http.NewRequest(http.MethodGet, s.URL+"/l/"+code[1], nil)
			req.Header.Set("User-Agent", "Mozilla/5.0 (iPhone) Mobile")
			req.Header.Set("X-Forwarded-For", xff)
			hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
		if reply := s.SMS(t, Client, "STATS"); !strings.Contains(reply, c.clicks) {
			t.Errorf("%v: STATS answered %q, want %q", c.env, reply, c.clicks)
		}
	}
}

func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

var mediaLink = regexp.MustCompile(regexp.QuoteMeta(growthPublic) + `/m/([0-9A-Za-z]+)`)

func TestPictureAnnouncementGoesAsMMS(t *testing.T) {
	s, tw := startGrowth(t)
	pic := pngOf(t, 8, 8)
	first := tw.AddMedia("image/png", pic)
	second := tw.AddMedia("image/jpeg", pngOf(t, 2, 2))
	reply := s.SMS(t, Client, "New class schedule!", "NumMedia", "2", "MediaUrl0", first,
		"MediaContentType0", "image/png", "MediaUrl1", second, "MediaContentType1", "image/jpeg")
	if !strings.Contains(reply, "With 1 picture (MMS)") || !strings.Contains(reply, "other 1 ignored") {
		t.Fatalf("draft reply %q", reply)
	}
	if tw.MediaFetches() != 1 {
		t.Fatalf("fetched %d pictures, want only the first", tw.MediaFetches())
	}
	if reply := s.SMS(t, Client, "CONFIRM"); !strings.Contains(reply, "to 3 ") {
		t.Fatalf("CONFIRM answered %q", reply)
	}
	sent := announced(t, tw, 3)
	us := sent["+15552000001"]
	if len(us.MediaURL) != 1 || !mediaLink.MatchString(us.MediaURL[0]) || us.Form.Get("Body") != "Sunrise Yoga: New class schedule!\nReply STOP to opt out." {
		t.Fatalf("US subscriber got MediaUrl %q body %q", us.MediaURL, us.Form.Get("Body"))
	}
	abroad := sent[growthAbroad]
	if len(abroad.MediaURL) != 0 || !strings.Contains(abroad.Form.Get("Body"), us.MediaURL[0]) {
		t.Errorf("+34 subscriber got MediaUrl %q body %q, want the text with the picture's link", abroad.MediaURL, abroad.Form.Get("Body"))
	}
	resp, err := http.Get(s.URL + strings.TrimPrefix(us.MediaURL[0], growthPublic))
	if err != nil {
		t.Fatal(err)
	}
	served, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || !bytes.Equal(served, pic) {
		t.Errorf("GET /m/ = %d %s, %d bytes (want the %d sent)", resp.StatusCode, resp.Header.Get("Content-Type"), len(served), len(pic))
	}
	if code, _ := Get(t, s.URL+"/m/NoSuchPicture"); code != http.StatusNotFound {
		t.Errorf("unknown picture = %d", code)
	}
}

func TestPictureProblemsAreExplained(t *testing.T) {
	s, tw := startGrowth(t)
	big := append(pngOf(t, 4, 4), make([]byte, bot.MaxPicture)...)
	notImage := tw.AddMedia("image/png", []byte("<html>not a picture</html>"))
	for _, c := range []struct{ label, url, ctype, want string }{
		{"over 5 MB", tw.AddMedia("image/png", big), "image/png", "over 5 MB"},
		{"declared a video", tw.AddMedia("video/mp4", pngOf(t, 2, 2)), "video/mp4", "JPEG, PNG or GIF"},
		{"sniffed not a picture", notImage, "image/png", "JPEG, PNG or GIF"},
		{"missing at Twilio", tw.URL + "/2010-04-01/Accounts/" + tw.AccountSID + "/Messages/MMx/Media/MEx", "image/png", "couldn't get your picture"},
		{"another host", "http://198.51.100.7/2010-04-01/Accounts/" + tw.AccountSID + "/Media/x", "image/png", "couldn't get your picture"},
	} {
		reply := s.SMS(t, Client, "Look at this", "NumMedia", "1", "MediaUrl0", c.url, "MediaContentType0", c.ctype)
		if !strings.Contains(reply, c.want) || !strings.Contains(reply, "Nothing drafted") {
			t.Errorf("%s: reply %q, want %q", c.label, reply, c.want)
		}
	}
	if reply := s.SMS(t, Client, "CONFIRM"); !strings.Contains(reply, "no draft") {
		t.Errorf("CONFIRM after refused pictures answered %q", reply)
	}
	if reply := s.SMS(t, "+15552000001", "", "NumMedia", "1", "MediaUrl0", notImage, "MediaContentType0", "image/png"); reply == "" {
		t.Error("a subscriber's picture got no answer")
	}
	if tw.MediaFetches() != 2 { // the big one and the fake one; nothing for the video or the subscriber
		t.Errorf("media fetched %d times, want 2", tw.MediaFetches())
	}
}
