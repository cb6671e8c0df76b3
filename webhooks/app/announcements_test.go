package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"nudges/bot"
	"nudges/flows"
	"nudges/locales"
	"nudges/store"
)

// notSending are the signed-in states that may read announcements but
// not write, halt or cancel them.
var notSending = []bot.ClientStatus{bot.ClientSuspended, bot.ClientCanceled, bot.ClientPastDue}

// sendForm is a confirm form with a token of the right shape.
var sendForm = url.Values{"text": {"Hello"}, "once": {"wallTokenwallTokenwallTo"}, "action": {"now"}}

// announcementIDs makes an announcement of owner's, going out, straight
// in the store (whatever owner's state), for the wall test.
func announcementIDs(h *harness, owner bot.Phone) map[string]string {
	var id uint64
	h.write(func(tx *store.Tx) error {
		c, err := tx.Client(owner)
		if err != nil {
			return err
		}
		a := &bot.Announcement{Client: owner, Keyword: c.Keyword, Text: "Wall check", Planned: 1,
			CreatedAt: h.clock.Now(), Counts: map[bot.MessageStatus]int{}}
		err = tx.PutAnnouncement(a)
		id = a.ID
		return err
	})
	return map[string]string{"id": strconv.FormatUint(id, 10)}
}

var (
	subs   = []bot.Phone{"+15550008801", "+15550008802", "+15550008803"}
	onceRe = regexp.MustCompile(`name="once" value="([^"]+)"`)
	idRe   = regexp.MustCompile(`^/app/announcements/(\d+)$`)
)

// join puts phones on client p's list by texting its keyword.
func (h *harness) join(keyword string, phones ...bot.Phone) {
	h.t.Helper()
	for _, p := range phones {
		h.text(p, keyword)
	}
}

// previewed posts the compose form and returns the preview page and its
// confirm form (action still to choose).
func (b *browser) previewed(text, picture string) (resp, url.Values) {
	b.h.t.Helper()
	r := b.post("/app/announcements/new", "/app/announcements/preview", url.Values{"text": {text}, "picture": {picture}})
	m := onceRe.FindStringSubmatch(r.Body)
	if r.Status != http.StatusOK || m == nil {
		b.h.t.Fatalf("preview of %q: %d, no confirm form:\n%s", text, r.Status, r.Body)
	}
	return r, url.Values{"text": {text}, "picture": {picture}, "once": {m[1]}}
}

// sent confirms form with action and returns the announcement's id.
func (b *browser) sent(form url.Values, action string) (uint64, resp) {
	b.h.t.Helper()
	form.Set("action", action)
	r := b.post("/app/announcements/new", "/app/announcements/send", form)
	m := idRe.FindStringSubmatch(r.Loc)
	if r.Status != http.StatusSeeOther || m == nil {
		b.h.t.Fatalf("confirm: %d %q\n%s", r.Status, r.Loc, r.Body)
	}
	id, _ := strconv.ParseUint(m[1], 10, 64)
	return id, r
}

// announcementsOf lists every announcement of p's, as the Service does.
func (h *harness) announcementsOf(p bot.Phone) []flows.Announcement {
	h.t.Helper()
	list, _, err := h.svc.List(p, 0, 1000)
	if err != nil {
		h.t.Fatal(err)
	}
	return list
}

func (h *harness) clientNow(p bot.Phone) *bot.Client {
	h.t.Helper()
	var c *bot.Client
	h.write(func(tx *store.Tx) (err error) { c, err = tx.Client(p); return err })
	return c
}

// The preview tells what CONFIRM's draft reply does; Send now sends it
// to the list and counts it once, and the same form posted again (the
// back button, a second click) finds it sent and sends nothing more.
func TestComposePreviewSendOnce(t *testing.T) {
	h := newHarness(t)
	h.join("YOGA", subs[0], subs[1])
	b := h.signedIn(phoneA)
	mustContain(t, b.get("/app/announcements/new").Body, `action="/app/announcements/preview"`, `name="text"`, `name="picture"`)
	r, form := b.previewed("Class at 7: https://example.com/yoga", "")
	mustContain(t, r.Body, "Client YOGA: Class at 7: http://localhost:8080/l/", "1 SMS each (GSM-7",
		"https://example.com/yoga", "2: 2 now", "30 of 30 announcements", "Send now to 2", `type="datetime-local"`,
		"its code is made when the announcement is sent")
	id, sent := b.sent(form, "now")
	page := b.get(sent.Loc)
	mustContain(t, page.Body, "Sending to 2.", "Class at 7: http://localhost:8080/l/")
	again := b.do(http.MethodPost, "/app/announcements/send", form) // the same form, token and all
	if again.Status != http.StatusSeeOther || again.Loc != sent.Loc {
		t.Fatalf("the form again: %d %q, want the first announcement %q", again.Status, again.Loc, sent.Loc)
	}
	mustContain(t, b.get(again.Loc).Body, "nothing was sent again")
	if list := h.announcementsOf(phoneA); len(list) != 1 || list[0].ID != id || list[0].Recipients != 2 {
		t.Errorf("announcements after two posts of one form: %+v", list)
	}
	if c := h.clientNow(phoneA); c.Used != 1 {
		t.Errorf("counted %d times, want 1", c.Used)
	}
	// A new preview is a new form: it sends again.
	_, form2 := b.previewed("Class at 8", "")
	if form2.Get("once") == form.Get("once") {
		t.Fatal("two previews gave one token")
	}
	b.sent(form2, "now")
	if n := len(h.announcementsOf(phoneA)); n != 2 {
		t.Errorf("%d announcements after a second preview's confirm, want 2", n)
	}
}

// Two posts of one confirm form at the same moment make one announcement.
func TestComposeDoubleSubmitAtOnce(t *testing.T) {
	h := newHarness(t)
	h.join("YOGA", subs[0])
	b := h.signedIn(phoneA)
	_, form := b.previewed("Doors open at 6", "")
	form.Set("action", "now")
	form.Set("_csrf", b.token("/app/announcements/new"))
	var wg sync.WaitGroup
	got := make([]int, 4)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := httptest.NewRequest(http.MethodPost, "/app/announcements/send", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for _, c := range b.cookies { // read only: no goroutine writes the jar
				req.AddCookie(c)
			}
			rec := httptest.NewRecorder()
			h.e.ServeHTTP(rec, req)
			got[i] = rec.Code
		}()
	}
	wg.Wait()
	if list := h.announcementsOf(phoneA); len(list) != 1 {
		t.Errorf("%d announcements from four posts of one form at once (answers %v), want 1", len(list), got)
	}
	if c := h.clientNow(phoneA); c.Used != 1 {
		t.Errorf("counted %d times, want 1", c.Used)
	}
}

// Schedule reads the datetime-local input in the client's zone; the
// scheduled one is listed with Cancel, and Cancel gives it back to the
// period.
func TestComposeScheduleAndCancel(t *testing.T) {
	h := newHarness(t)
	h.join("YOGA", subs[0])
	b := h.signedIn(phoneA)
	_, form := b.previewed("Workshop Saturday", "")
	form.Set("send_at", "2026-04-02T09:30") // t0 is Mar 30, 15:00 UTC
	id, r := b.sent(form, "schedule")
	a, err := h.svc.Get(phoneA, id)
	ny, _ := time.LoadLocation("America/New_York")
	if err != nil || a.State != flows.StateScheduled || !a.SendAt.Equal(time.Date(2026, 4, 2, 9, 30, 0, 0, ny)) {
		t.Fatalf("scheduled %+v, %v; want 9:30 New York time", a, err)
	}
	mustContain(t, b.get(r.Loc).Body, "Scheduled for Thu Apr 2, 9:30 AM EDT.", "Canceling takes it off the schedule")
	list := b.get("/app/announcements").Body
	mustContain(t, list, "sends Thu Apr 2, 9:30 AM EDT", fmt.Sprintf(`action="/app/announcements/%d/cancel"`, id))
	if c := h.clientNow(phoneA); c.Used != 1 {
		t.Errorf("scheduling counted %d, want 1", c.Used)
	}
	c := b.post("/app/announcements", fmt.Sprintf("/app/announcements/%d/cancel", id), nil)
	if c.Status != http.StatusSeeOther || c.Loc != "/app/announcements" {
		t.Fatalf("cancel: %d %q", c.Status, c.Loc)
	}
	mustContain(t, b.get(c.Loc).Body, fmt.Sprintf("Announcement %d is canceled", id), "Nothing is scheduled.")
	if n := len(h.announcementsOf(phoneA)); n != 0 {
		t.Errorf("%d announcements after the cancel", n)
	}
	if c := h.clientNow(phoneA); c.Used != 0 {
		t.Errorf("the cancel left %d counted, want 0", c.Used)
	}
	again := b.post("/app/announcements", fmt.Sprintf("/app/announcements/%d/cancel", id), nil)
	if again.Status != http.StatusNotFound {
		t.Errorf("cancel of a canceled one: %d, want 404", again.Status)
	}
}

// Halt stops one going out; the dropped are counted, and a second Halt
// says why it does nothing.
func TestHaltFromDashboard(t *testing.T) {
	h := newHarness(t)
	h.join("YOGA", subs...)
	b := h.signedIn(phoneA)
	_, form := b.previewed("Class canceled", "")
	id, r := b.sent(form, "now")
	mustContain(t, b.get(r.Loc).Body, fmt.Sprintf(`action="/app/announcements/%d/halt"`, id), `http-equiv="refresh"`)
	halt := fmt.Sprintf("/app/announcements/%d/halt", id)
	if r := b.post(r.Loc, halt, nil); r.Status != http.StatusSeeOther {
		t.Fatalf("halt: %d", r.Status)
	}
	mustContain(t, b.get(r.Loc).Body, "Halted: 3 not sent yet were dropped.", `id="state">halted`)
	b.post(r.Loc, halt, nil)
	mustContain(t, b.get(r.Loc).Body, "not sending any more (halted)")
}

// fakeSender takes every message but those to fail, naming each sent one.
type fakeSender struct {
	fail bot.Phone
	n    atomic.Int64
	mu   sync.Mutex
	sids map[bot.Phone]string
}

func (s *fakeSender) Send(_ context.Context, m bot.OutMessage) (string, error) {
	if m.To == s.fail {
		return "", &bot.SendError{Status: 400, Code: 21211, Message: "invalid 'To' number"}
	}
	sid := fmt.Sprintf("SMfake%04d", s.n.Add(1))
	s.mu.Lock()
	s.sids[m.To] = sid
	s.mu.Unlock()
	return sid, nil
}

// deliver fans out and sends everything queued through the dispatcher,
// failing the messages to fail; it returns each phone's message sid.
func (h *harness) deliver(fail bot.Phone) map[bot.Phone]string {
	h.t.Helper()
	tr := locales.MustLoad()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	fan := &bot.FanOut{Store: h.db, Compose: flows.Composer(tr), Report: bot.ReportTo(tr), Clock: h.clock, Log: quiet}
	if err := fan.Drain(ctx); err != nil {
		h.t.Fatal(err)
	}
	s := &fakeSender{fail: fail, sids: map[bot.Phone]string{}}
	d := &bot.Dispatcher{Queue: &bot.Lifecycle{Store: h.db, Report: bot.ReportTo(tr), Clock: h.clock, Log: quiet}, Sender: s, Capture: s,
		Clock: h.clock, Log: quiet, Sleep: func(ctx context.Context, d time.Duration) error { h.clock.Advance(d); return ctx.Err() }}
	if err := d.Drain(ctx); err != nil {
		h.t.Fatal(err)
	}
	return s.sids
}

var countRe = regexp.MustCompile(`id="n-(\w+)">(\d+)<`)

// The counts on the page are the store's after a send through the
// dispatcher, a delivery report, clicks and a reply.
func TestAnnouncementCountsMatchStore(t *testing.T) {
	h := newHarness(t)
	h.join("YOGA", subs...)
	b := h.signedIn(phoneA)
	_, form := b.previewed("Sale today https://example.com/sale and https://example.com/map", "")
	id, r := b.sent(form, "now")
	sids := h.deliver(subs[2])
	lc := &bot.Lifecycle{Store: h.db, Report: bot.ReportTo(locales.MustLoad()), Clock: h.clock}
	if err := lc.ApplyStatus(sids[subs[0]], bot.StatusDelivered, 0); err != nil {
		t.Fatal(err)
	}
	var ann *bot.Announcement
	h.write(func(tx *store.Tx) (err error) { ann, err = tx.Announcement(id); return err })
	for i, visitor := range []string{"198.51.100.1", "198.51.100.2", "198.51.100.2"} { // the third is the second's again
		if _, found, err := h.db.FollowLink(ann.Links[0].Code, visitor, true, h.clock.Now().Add(time.Duration(i)*time.Second), time.Hour); err != nil || !found {
			t.Fatalf("click: %v %v", found, err)
		}
	}
	h.write(func(tx *store.Tx) error { return tx.CountReply(id) })
	h.write(func(tx *store.Tx) (err error) { ann, err = tx.Announcement(id); return err })
	c := ann.Counts
	want := map[string]int{"sent": c[bot.StatusSent], "delivered": c[bot.StatusDelivered],
		"failed": c[bot.StatusFailed] + c[bot.StatusUndelivered], "queued": 0, "waiting": 0, "halted": 0, "replies": 1}
	if want["sent"] != 1 || want["delivered"] != 1 || want["failed"] != 1 {
		t.Fatalf("store counts %v: the test's send did not go as planned", c)
	}
	page := b.get(r.Loc).Body
	got := map[string]int{}
	for _, m := range countRe.FindAllStringSubmatch(page, -1) {
		got[m[1]], _ = strconv.Atoi(m[2])
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("page counts %v, store %v", got, want)
	}
	mustContain(t, page, `id="state">completed`, "<li>https://example.com/sale<br><span class=\"hint\">sent as http://localhost:8080/l/"+ann.Links[0].Code+`</span> · <strong class="clicks">2</strong> clicks`,
		"<li>https://example.com/map<br>")
	mustContain(t, b.get("/app/announcements").Body, "https://example.com/sale: <strong>2</strong> clicks",
		"https://example.com/map: <strong>0</strong> clicks", `<span class="num">1</span> reply`)
}
