package main

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"html"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"nudges/bot"
	"nudges/store"
	"nudges/webhooks/twilio"
	"nudges/webhooks/twilio/twiliotest"
)

// growth is the setting of the join page, tracked link and MMS tests: a
// live client YOGA with two US subscribers and one in Spain, a pending
// client BAKERY, Twilio faked, the public URL a name the test signs with.
const (
	growthPublic  = "https://nudges.test"
	growthClient  = "+15550009999"
	growthPending = "+15550008888"
	growthAbroad  = "+34612345678"
)

type growthApp struct {
	base, public string
	tw           *twiliotest.Server
	db           *store.DB
	seq          int
}

func startGrowth(t *testing.T) *growthApp { return startGrowthWith(t, "100", nil) }

// startGrowthWith serves the growth fixtures with Twilio (the fake) at
// NUDGES_SEND_RATE rate; seed, if given, adds to the seeded file first.
func startGrowthWith(t *testing.T, rate string, seed func(path string)) *growthApp {
	t.Helper()
	dbPath := filepath.Join(t.TempDir(), "n.db")
	seedGrowth(t, dbPath)
	if seed != nil {
		seed(dbPath)
	}
	tw := twiliotest.New(t)
	cfg, err := loadConfig(envOf("NUDGES_DB", dbPath, "NUDGES_PUBLIC_URL", growthPublic,
		"TWILIO_ACCOUNT_SID", tw.AccountSID, "TWILIO_AUTH_TOKEN", tw.AuthToken, "TWILIO_FROM_NUMBER", crashNumber,
		"TWILIO_API_BASE", tw.URL, "NUDGES_SEND_RATE", rate, "NUDGES_SEND_WINDOW", "off"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(cfg.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	base, _ := serveApp(t, cfg, db)
	return &growthApp{base: base, public: growthPublic, tw: tw, db: db}
}

func seedGrowth(t *testing.T, path string) {
	t.Helper()
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Now().UTC()
	err = db.Update(func(tx bot.Tx) error {
		p := &bot.Plan{Name: "Starter", PriceMinor: 900, Currency: "usd", Interval: bot.Month, Quota: 30, Active: true, CreatedAt: now}
		if err := tx.PutPlan(p); err != nil {
			return err
		}
		for _, c := range []*bot.Client{
			{Phone: growthClient, Name: "Sunrise Yoga", Keyword: "YOGA", Status: bot.ClientActive},
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
	})
	if err != nil {
		t.Fatal(err)
	}
}

// sms posts a signed inbound message (extra form fields added) and returns
// the reply's text.
func (g *growthApp) sms(t *testing.T, from, body string, extra ...string) string {
	t.Helper()
	g.seq++
	form := url.Values{"MessageSid": {fmt.Sprintf("SMgrowth%04d", g.seq)}, "From": {from}, "To": {crashNumber}, "Body": {body}}
	for i := 0; i+1 < len(extra); i += 2 {
		form.Set(extra[i], extra[i+1])
	}
	req, _ := http.NewRequest(http.MethodPost, g.base+twilio.PathSMS, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(twilio.SignatureHeader, twilio.Sign(g.tw.AuthToken, g.public+twilio.PathSMS, form))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %q: %d %s", from, body, resp.StatusCode, data)
	}
	var doc struct {
		Message string `xml:"Message"`
	}
	xml.Unmarshal(data, &doc)
	return doc.Message
}

// announced waits for n announcements of the client at the fake and
// returns the requests, keyed by recipient.
func (g *growthApp) announced(t *testing.T, n int) map[string]twiliotest.Request {
	t.Helper()
	got := map[string]twiliotest.Request{}
	waitFor(t, 10*time.Second, fmt.Sprintf("%d announcements at the fake Twilio", n), func() bool {
		clear(got)
		for _, r := range g.tw.Sent() {
			if strings.HasPrefix(r.Form.Get("Body"), "Sunrise Yoga:") {
				got[r.Form.Get("To")] = r
			}
		}
		return len(got) >= n
	})
	return got
}

// fetch GETs path without following redirects.
func fetch(t *testing.T, u, agent string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header["User-Agent"] = []string{agent} // "" sends none, not Go's own
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func TestJoinPageThroughTheService(t *testing.T) {
	g := startGrowth(t)
	code, page := get(t, g.base+"/j/yoga")
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
	_, unknown := get(t, g.base+"/j/NOPE")
	for _, kw := range []string{"NOPE", "BAKERY", "YOGA/extra", strings.Repeat("A", 300)} {
		code, body := get(t, g.base+"/j/"+kw)
		if code != http.StatusNotFound || body != unknown || strings.Contains(body, "Bakery") {
			t.Errorf("GET /j/%.20s = %d, want the same bare 404 as an unknown keyword", kw, code)
		}
	}
	resp, err := http.Get(g.base + "/j/YOGA/qr.svg")
	if err != nil {
		t.Fatal(err)
	}
	svg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/svg+xml" || xml.Unmarshal(svg, new(any)) != nil {
		t.Fatalf("qr.svg = %d %s %.80s", resp.StatusCode, resp.Header.Get("Content-Type"), svg)
	}
	if code, _ := get(t, g.base+"/j/BAKERY/qr.svg"); code != http.StatusNotFound {
		t.Errorf("QR of a pending client = %d, want 404", code)
	}
	for _, word := range []string{"LINK", "QR", "ENLACE"} {
		if reply := g.sms(t, growthClient, word); !strings.Contains(reply, growthPublic+"/j/YOGA") || !strings.Contains(reply, "/j/YOGA/qr.svg") {
			t.Errorf("%s answered %q", word, reply)
		}
	}
	if reply := g.sms(t, "+15552000001", "LINK"); strings.Contains(reply, "/j/") {
		t.Errorf("LINK from a subscriber answered %q", reply)
	}
}

var trackedLink = regexp.MustCompile(regexp.QuoteMeta(growthPublic) + `/l/([0-9A-Za-z]+)`)

func TestTrackedLinksCountClicks(t *testing.T) {
	g := startGrowth(t)
	long := "https://shop.example.com/sale?item=" + strings.Repeat("x", 900)
	draft := "Sale today: https://shop.example.com/sale?x=1&y=2. Again: https://shop.example.com/sale?x=1&y=2 and (" + long + ")"
	reply := g.sms(t, growthClient, draft)
	if strings.Contains(reply, "shop.example.com") || !strings.Contains(reply, growthPublic+"/l/") || !strings.Contains(reply, "2 links") {
		t.Fatalf("draft reply %q: want the delivered form with 2 tracked links", reply)
	}
	if reply := g.sms(t, growthClient, "CONFIRM"); !strings.Contains(reply, "to 3 ") {
		t.Fatalf("CONFIRM answered %q", reply)
	}
	body := g.announced(t, 3)["+15552000001"].Form.Get("Body")
	codes := trackedLink.FindAllStringSubmatch(body, -1)
	if len(codes) != 3 || codes[0][1] != codes[1][1] || codes[0][1] == codes[2][1] || !strings.Contains(body, "/l/"+codes[2][1]+")") {
		t.Fatalf("delivered %q: want one code per URL, the sentence's punctuation kept", body)
	}
	sale, longCode := g.base+"/l/"+codes[0][1], g.base+"/l/"+codes[2][1]
	browser := "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
	for _, ua := range []string{browser, browser, "Mozilla/5.0 (Linux; Android 14) Chrome/120 Mobile", "facebookexternalhit/1.1",
		"WhatsApp/2.23.20.0", "Slackbot-LinkExpanding 1.0", "TelegramBot (like TwitterBot)", ""} {
		resp := fetch(t, sale, ua)
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "https://shop.example.com/sale?x=1&y=2" {
			t.Fatalf("GET /l/ as %q = %d to %q", ua, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	if resp := fetch(t, longCode, browser); resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != long {
		t.Errorf("long URL: %d to %.60q", resp.StatusCode, resp.Header.Get("Location"))
	}
	for _, path := range []string{"/l/NOPE12345", "/l/" + strings.Repeat("z", 500), "/l/%00%ff", "/l/a.b"} {
		if resp := fetch(t, g.base+path, browser); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %.30s = %d, want 404", path, resp.StatusCode)
		}
	}
	// Clicks: the iPhone once (twice within the hour), Android once, the long
	// link once; previews and the blank agent not at all.
	if reply := g.sms(t, growthClient, "STATS"); !strings.Contains(reply, "3 link clicks") {
		t.Errorf("STATS answered %q, want 3 link clicks", reply)
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
	g := startGrowth(t)
	pic := pngOf(t, 8, 8)
	first := g.tw.AddMedia("image/png", pic)
	second := g.tw.AddMedia("image/jpeg", pngOf(t, 2, 2))
	reply := g.sms(t, growthClient, "New class schedule!", "NumMedia", "2", "MediaUrl0", first,
		"MediaContentType0", "image/png", "MediaUrl1", second, "MediaContentType1", "image/jpeg")
	if !strings.Contains(reply, "With 1 picture (MMS)") || !strings.Contains(reply, "other 1 ignored") {
		t.Fatalf("draft reply %q", reply)
	}
	if g.tw.MediaFetches() != 1 {
		t.Fatalf("fetched %d pictures, want only the first", g.tw.MediaFetches())
	}
	if reply := g.sms(t, growthClient, "CONFIRM"); !strings.Contains(reply, "to 3 ") {
		t.Fatalf("CONFIRM answered %q", reply)
	}
	sent := g.announced(t, 3)
	us := sent["+15552000001"]
	if len(us.MediaURL) != 1 || !mediaLink.MatchString(us.MediaURL[0]) || us.Form.Get("Body") != "Sunrise Yoga: New class schedule!\nReply STOP to opt out." {
		t.Fatalf("US subscriber got MediaUrl %q body %q", us.MediaURL, us.Form.Get("Body"))
	}
	abroad := sent[growthAbroad]
	if len(abroad.MediaURL) != 0 || !strings.Contains(abroad.Form.Get("Body"), us.MediaURL[0]) {
		t.Errorf("+34 subscriber got MediaUrl %q body %q, want the text with the picture's link", abroad.MediaURL, abroad.Form.Get("Body"))
	}
	resp, err := http.Get(g.base + strings.TrimPrefix(us.MediaURL[0], growthPublic))
	if err != nil {
		t.Fatal(err)
	}
	served, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || !bytes.Equal(served, pic) {
		t.Errorf("GET /m/ = %d %s, %d bytes (want the %d sent)", resp.StatusCode, resp.Header.Get("Content-Type"), len(served), len(pic))
	}
	if code, _ := get(t, g.base+"/m/NoSuchPicture"); code != http.StatusNotFound {
		t.Errorf("unknown picture = %d", code)
	}
}

func TestPictureProblemsAreExplained(t *testing.T) {
	g := startGrowth(t)
	big := append(pngOf(t, 4, 4), make([]byte, bot.MaxPicture)...)
	notImage := g.tw.AddMedia("image/png", []byte("<html>not a picture</html>"))
	for _, c := range []struct{ label, url, ctype, want string }{
		{"over 5 MB", g.tw.AddMedia("image/png", big), "image/png", "over 5 MB"},
		{"declared a video", g.tw.AddMedia("video/mp4", pngOf(t, 2, 2)), "video/mp4", "JPEG, PNG or GIF"},
		{"sniffed not a picture", notImage, "image/png", "JPEG, PNG or GIF"},
		{"missing at Twilio", g.tw.URL + "/2010-04-01/Accounts/" + g.tw.AccountSID + "/Messages/MMx/Media/MEx", "image/png", "couldn't get your picture"},
		{"another host", "http://198.51.100.7/2010-04-01/Accounts/" + g.tw.AccountSID + "/Media/x", "image/png", "couldn't get your picture"},
	} {
		reply := g.sms(t, growthClient, "Look at this", "NumMedia", "1", "MediaUrl0", c.url, "MediaContentType0", c.ctype)
		if !strings.Contains(reply, c.want) || !strings.Contains(reply, "Nothing drafted") {
			t.Errorf("%s: reply %q, want %q", c.label, reply, c.want)
		}
	}
	if reply := g.sms(t, growthClient, "CONFIRM"); !strings.Contains(reply, "no draft") {
		t.Errorf("CONFIRM after refused pictures answered %q", reply)
	}
	if reply := g.sms(t, "+15552000001", "", "NumMedia", "1", "MediaUrl0", notImage, "MediaContentType0", "image/png"); reply == "" {
		t.Error("a subscriber's picture got no answer")
	}
	if g.tw.MediaFetches() != 2 { // the big one and the fake one; nothing for the video or the subscriber
		t.Errorf("media fetched %d times, want 2", g.tw.MediaFetches())
	}
}
