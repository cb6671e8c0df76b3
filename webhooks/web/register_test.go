package web

import (
	"context"
	"errors"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"nudges/bot"
	"nudges/locales"
	"nudges/store"
)

type stubRegistrar struct {
	mu   sync.Mutex
	fail error
	got  []bot.Registration
}

func (s *stubRegistrar) SubmitVerification(_ context.Context, n bot.OwnNumber, r bot.Registration) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return "", s.fail
	}
	s.got = append(s.got, r)
	return "HH0001", nil
}

var regNow = time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)

type regSite struct {
	srv   *httptest.Server
	db    *store.DB
	clock *bot.FixedClock
	reg   *stubRegistrar
	link  string // the live /r/ path
}

// newRegSite serves the pages with a client YOGA whose toll-free number
// waits for its registration, and a live REGISTER link.
func newRegSite(t *testing.T) *regSite {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "n.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s := &regSite{db: db, clock: bot.NewFixedClock(regNow), reg: &stubRegistrar{}}
	err = db.Update(func(tx bot.Tx) error {
		a := &bot.Announcement{Client: "+15550009999", Keyword: "YOGA", Text: "Class at 6pm tonight! Reply STOP to opt out", CreatedAt: regNow}
		if err := tx.PutAnnouncement(a); err != nil {
			return err
		}
		c := &bot.Client{Phone: "+15550009999", Name: "Sunrise Yoga", Keyword: "YOGA", Status: bot.ClientActive,
			PayToken: "PAYTOKEN", LastAnnouncement: a.ID,
			Own: &bot.OwnNumber{Kind: bot.NumberTollFree, State: bot.NumberVerifying, Phone: "+18335550100", PhoneSID: "PN1"}}
		s.link = "/r/" + c.Own.NewRegisterLink(c.PayToken, "SECRET", regNow)
		return tx.PutClient(c)
	})
	if err != nil {
		t.Fatal(err)
	}
	pages, err := New(Config{Store: db, Links: db, Pictures: db, T: locales.MustLoad(), Clock: s.clock,
		Number: func(*bot.Client) string { return "+15550000000" }, Registrar: s.reg, PublicURL: "https://nudges.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	pages.Register(e)
	s.srv = httptest.NewServer(e)
	t.Cleanup(s.srv.Close)
	return s
}

func (s *regSite) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(s.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (s *regSite) post(t *testing.T, path string, form url.Values) (int, string) {
	t.Helper()
	resp, err := http.PostForm(s.srv.URL+path, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func goodForm() url.Values {
	return url.Values{"BusinessName": {"Sunrise Yoga LLC"}, "Website": {"https://sunrise.example.com"},
		"Street": {"1 Main St"}, "City": {"Springfield"}, "Region": {"il"}, "PostalCode": {"62701"},
		"ContactFirst": {"Ana"}, "ContactLast": {"Diaz"}, "Email": {"ana@sunrise.example.com"},
		"ContactPhone": {"+1 (555) 000-9999"}, "UseCase": {"MARKETING"}, "Volume": {"1,000"},
		"Sample": {"Class at 6pm tonight!"}, "OptIn": {"Text YOGA to +18335550100"},
		"OptInImage": {"https://nudges.example.com/j/YOGA"}}
}

func TestRegisterFormIsPrefilled(t *testing.T) {
	s := newRegSite(t)
	for range 2 { // a link preview's GET changes nothing
		code, body := s.get(t, s.link)
		body = html.UnescapeString(body)
		if code != 200 {
			t.Fatalf("GET: %d", code)
		}
		for _, want := range []string{"Register +18335550100", `value="Sunrise Yoga"`, "Class at 6pm tonight!",
			"Subscribers text YOGA to +18335550100", `value="https://nudges.example.com/j/YOGA"`, `value="+15550009999"`, "<option selected>MARKETING</option>"} {
			if !strings.Contains(body, want) {
				t.Errorf("form lacks %q", want)
			}
		}
	}
}

// Wrong, unknown, malformed and expired tokens all get the same 404.
func TestRegisterFormRefusesBadTokens(t *testing.T) {
	s := newRegSite(t)
	for _, p := range []string{"/r/PAYTOKEN.WRONG", "/r/NOBODY.SECRET", "/r/PAYTOKEN", "/r/.SECRET", "/r/PAYTOKEN.", "/r/" + strings.Repeat("A", 300),
		"/r/PAYTOKEN.SECRET/extra"} {
		if code, _ := s.get(t, p); code != 404 {
			t.Errorf("GET %s: %d", p, code)
		}
		if code, _ := s.post(t, p, goodForm()); code != 404 && code != 405 {
			t.Errorf("POST %s: %d", p, code)
		}
	}
	s.clock.Advance(bot.RegisterLinkTTL)
	if code, _ := s.get(t, s.link); code != 404 {
		t.Fatalf("expired GET: %d", code)
	}
	if code, _ := s.post(t, s.link, goodForm()); code != 404 || len(s.reg.got) != 0 {
		t.Fatalf("expired POST: %d, submitted %d", code, len(s.reg.got))
	}
}

func TestRegisterSubmitValidatesEveryField(t *testing.T) {
	s := newRegSite(t)
	for field, v := range map[string]string{
		"BusinessName": "", "Website": "javascript:alert(1)", "Street": " ", "City": strings.Repeat("x", 81),
		"Region": "New York", "PostalCode": "ABCDE", "ContactFirst": "", "ContactLast": "", "Email": "ana at example",
		"ContactPhone": "call me", "UseCase": "HACKING", "Volume": "lots", "Sample": "", "OptIn": "",
		"OptInImage": "ftp://x.example.com/a",
	} {
		f := goodForm()
		f.Set(field, v)
		code, body := s.post(t, s.link, f)
		if code != 400 || !strings.Contains(body, `class="err"`) {
			t.Errorf("%s=%q: %d", field, v, code)
		}
	}
	f := goodForm()
	f.Set("BusinessName", `<script>alert(1)</script>`)
	f.Set("Email", "")
	if _, body := s.post(t, s.link, f); strings.Contains(body, "<script>alert") || !strings.Contains(body, "&lt;script&gt;") {
		t.Error("a value is shown back unescaped")
	}
	if code, _ := s.post(t, s.link+"?BusinessName=x", url.Values{}); code != 400 {
		t.Errorf("empty form: %d", code)
	}
	huge := goodForm()
	huge.Set("Sample", strings.Repeat("x", 40_000))
	if code, _ := s.post(t, s.link, huge); code != http.StatusRequestEntityTooLarge {
		t.Errorf("40 kB form: %d", code)
	}
	if len(s.reg.got) != 0 {
		t.Fatalf("bad input was submitted: %d", len(s.reg.got))
	}
}

func TestRegisterSubmitCreatesTheVerification(t *testing.T) {
	s := newRegSite(t)
	s.reg.fail = errors.New("twilio: 503")
	if code, body := s.post(t, s.link, goodForm()); code != 503 || !strings.Contains(body, "try again") {
		t.Fatalf("provider down: %d", code)
	}
	s.reg.fail = nil
	code, body := s.post(t, s.link, goodForm())
	if code != 200 || !strings.Contains(body, "went to the carriers") {
		t.Fatalf("submit: %d %s", code, body)
	}
	if len(s.reg.got) != 1 || s.reg.got[0].Region != "IL" || s.reg.got[0].ContactPhone != "+15550009999" {
		t.Fatalf("submitted %+v", s.reg.got)
	}
	var c *bot.Client
	s.db.View(func(tx bot.Tx) (err error) { c, err = tx.Client("+15550009999"); return err })
	if c.Own.VerificationSID != "HH0001" || c.Own.State != bot.NumberVerifying || !c.Own.NextTry.Equal(regNow.Add(bot.NumberPoll)) ||
		c.Own.Link.Token != "" || len(c.Own.History) != 1 {
		t.Fatalf("own %+v", c.Own)
	}
	if code, _ := s.post(t, s.link, goodForm()); code != 404 || len(s.reg.got) != 1 {
		t.Fatalf("second submit: %d, submitted %d", code, len(s.reg.got))
	}
}
