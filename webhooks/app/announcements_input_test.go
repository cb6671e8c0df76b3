package app

import (
	"bytes"
	"html"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"nudges/bot"
	"nudges/store"
	"nudges/webhooks/api"
	"nudges/webhooks/hookout"
)

// Bad drafts are refused with the reason on the page, the typed text kept
// in the form, and nothing is sent or counted.
func TestComposeRefusesBadDrafts(t *testing.T) {
	h := newHarness(t)
	h.join("YOGA", subs[0])
	b := h.signedIn(phoneA)
	long := strings.Repeat("Stretch and breathe. ", 98) // 2,058 characters, 2,057 trimmed
	for _, c := range []struct{ name, text, picture, want string }{
		{"empty", "   ", "", "An announcement needs a text or a picture."},
		{"2 KB", long, "", "The text is 2057 characters; the limit is 1600."},
		{"control characters", "Ring the bell\a now", "", "The text holds control characters."},
		{"escape", "Hi \x1b[31mred", "", "The text holds control characters."},
		{"picture not a URL", "See this", "javascript:alert(1)", "The picture&#39;s URL must be a full https:// address"},
		{"picture ftp", "See this", "ftp://example.com/a.png", "The picture&#39;s URL must be a full https:// address"},
	} {
		r := b.post("/app/announcements/new", "/app/announcements/preview", url.Values{"text": {c.text}, "picture": {c.picture}})
		if r.Status != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d, want 422", c.name, r.Status)
		}
		mustContain(t, r.Body, c.want, `class="error"`)
		if strings.TrimSpace(c.text) != "" && !strings.Contains(html.UnescapeString(r.Body), strings.TrimSpace(c.text)) {
			t.Errorf("%s: the typed text is not kept in the form", c.name)
		}
		if strings.Contains(r.Body, `name="once"`) {
			t.Errorf("%s: a refused draft got a confirm form", c.name)
		}
	}
	r, _ := b.previewed("Café at 7 ☕ see you", "")
	mustContain(t, r.Body, "(UCS-2: a character outside the basic SMS alphabet", "Client YOGA: Café at 7 ☕ see you")
	if n := len(h.announcementsOf(phoneA)); n != 0 {
		t.Errorf("%d announcements made by refused drafts", n)
	}
}

// A schedule time that is no date, in the past or beyond 30 days, and a
// missing choice or token are refused on the preview page, text kept.
func TestComposeRefusesBadTimes(t *testing.T) {
	h := newHarness(t)
	h.join("YOGA", subs[0])
	b := h.signedIn(phoneA)
	for _, c := range []struct{ name, action, sendAt, want string }{
		{"no date", "schedule", "next friday", "The time to send is not a date and time"},
		{"empty date", "schedule", "", "The time to send is not a date and time"},
		{"half a date", "schedule", "2026-04-02", "The time to send is not a date and time"},
		{"past", "schedule", "2026-03-29T09:00", "The time to send must be in the future and within 30 days."},
		{"a minute ago", "schedule", "2026-03-30T10:59", "must be in the future"}, // t0 is 11:00 in New York
		{"too far", "schedule", "2026-05-15T09:00", "The time to send must be in the future and within 30 days."},
		{"no choice", "", "", "Choose Send now or Schedule."},
		{"made-up choice", "both", "", "Choose Send now or Schedule."},
	} {
		_, form := b.previewed("Workshop Saturday", "")
		form.Set("send_at", c.sendAt)
		form.Set("action", c.action)
		r := b.post("/app/announcements/new", "/app/announcements/send", form)
		if r.Status != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d, want 422", c.name, r.Status)
		}
		mustContain(t, r.Body, c.want, ">Workshop Saturday</textarea>", `name="once"`)
	}
	for _, tok := range []string{"", "short", strings.Repeat("x", 23) + "!"} {
		r := b.post("/app/announcements/new", "/app/announcements/send", url.Values{"text": {"Workshop Saturday"}, "once": {tok}, "action": {"now"}})
		if r.Status != http.StatusUnprocessableEntity {
			t.Errorf("token %q: %d, want 422", tok, r.Status)
		}
		mustContain(t, r.Body, "This form has expired", ">Workshop Saturday</textarea>")
	}
	if n := len(h.announcementsOf(phoneA)); n != 0 {
		t.Errorf("%d announcements made by refused confirms", n)
	}
	if c := h.clientNow(phoneA); c.Used != 0 {
		t.Errorf("refused confirms counted %d", c.Used)
	}
}

// With no announcements left, the preview says so and Send now is refused
// with CONFIRM's reason.
func TestComposeQuotaUsedUp(t *testing.T) {
	h := newHarness(t)
	h.join("YOGA", subs[0])
	h.write(func(tx *store.Tx) error {
		c, err := tx.Client(phoneA)
		if err != nil {
			return err
		}
		c.Used = 30
		return tx.PutClient(c)
	})
	b := h.signedIn(phoneA)
	r, form := b.previewed("One more", "")
	mustContain(t, r.Body, "0 of 30 announcements", "No announcements are left this period")
	form.Set("action", "now")
	s := b.post("/app/announcements/new", "/app/announcements/send", form)
	if s.Status != http.StatusUnprocessableEntity {
		t.Errorf("send past the quota: %d", s.Status)
	}
	mustContain(t, s.Body, "All 30 announcements of this period are used.", ">One more</textarea>")
	if n := len(h.announcementsOf(phoneA)); n != 0 {
		t.Errorf("%d announcements past the quota", n)
	}
}

// pictureServer serves a 1×1 PNG on 127.0.0.1 and counts its requests.
func pictureServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 1, 1))); err != nil {
		t.Fatal(err)
	}
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "image/png")
		w.Write(buf.Bytes())
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// guardPictures gives the Service the picture fetch main gives it: the
// webhook guard's client, allowing only allow's private addresses.
func (h *harness) guardPictures(allow ...netip.Prefix) {
	h.svc.Pictures = &bot.Pictures{
		Fetch: api.PictureFetcher{Client: hookout.Guard{Allow: allow}.Client(5 * time.Second)},
		Keep:  h.db, BaseURL: "http://localhost:8080",
		Token: func() (string, error) { return bot.RandomCode(20) },
	}
}

// A picture at a private address is refused by the guard, never fetched;
// the same picture allowed goes as an MMS. A picture cannot be scheduled.
func TestComposePictureGuard(t *testing.T) {
	h := newHarness(t)
	h.join("YOGA", subs[0])
	srv, hits := pictureServer(t)
	pic := srv.URL + "/flyer.png"
	b := h.signedIn(phoneA)
	h.guardPictures()
	r, form := b.previewed("Tonight's flyer", pic)
	mustContain(t, r.Body, "With the picture, as an MMS.", "cannot be scheduled")
	form.Set("action", "now")
	s := b.post("/app/announcements/new", "/app/announcements/send", form)
	if s.Status != http.StatusUnprocessableEntity || hits.Load() != 0 {
		t.Errorf("private picture: %d, %d fetches; want 422 and none", s.Status, hits.Load())
	}
	mustContain(t, s.Body, "The picture could not be fetched from its URL.", ">Tonight&#39;s flyer</textarea>", pic)
	_, form = b.previewed("Tonight's flyer", pic)
	form.Set("send_at", "2026-04-02T09:30")
	form.Set("action", "schedule")
	mustContain(t, b.post("/app/announcements/new", "/app/announcements/send", form).Body,
		"An announcement with a picture cannot be scheduled: send it now.")
	if n := len(h.announcementsOf(phoneA)); n != 0 || hits.Load() != 0 {
		t.Fatalf("%d announcements, %d fetches after refused pictures", n, hits.Load())
	}
	h.guardPictures(netip.MustParsePrefix("127.0.0.0/8")) // NUDGES_WEBHOOK_ALLOW
	_, form = b.previewed("Tonight's flyer", pic)
	id, _ := b.sent(form, "now")
	a, err := h.svc.Get(phoneA, id)
	if err != nil || !strings.HasPrefix(a.Picture, "http://localhost:8080/m/") || hits.Load() != 1 {
		t.Errorf("allowed picture: %+v %v, %d fetches", a, err, hits.Load())
	}
}
