package flows

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"nudges/bot"
	"nudges/locales"
)

// service is the harness's Service: the same store, clock and rules as
// its SMS turns, the fan-out run before a call returns.
func (h *harness) service() *Service {
	return &Service{Store: h.db, Clock: h.clock, T: locales.MustLoad(), Brain: h.brain, Notify: h.engine.Notify}
}

// wantReason checks err is a refusal for reason.
func wantReason(t *testing.T, what string, err error, reason Reason) {
	t.Helper()
	var r *Refused
	if !errors.As(err, &r) || r.Reason != reason {
		t.Errorf("%s: %v, want a refusal %s", what, err, reason)
	}
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if bot.ErrorCode(err) != code {
		t.Errorf("%s: %v (%s), want %s", what, err, bot.ErrorCode(err), code)
	}
}

// The preview counts what the SMS draft reply does: segments, links,
// recipients now and later, announcements left; the draft's rules refuse
// the same texts.
func TestServicePreview(t *testing.T) {
	h := yogaHarness(t, 30)
	h.text(sub1, "YOGA")
	h.text(sub2, "YOGA")
	s := h.service()
	p, err := s.Preview(yogaPhone, "Class at 7: https://example.com/yoga", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Links) != 1 || !strings.Contains(p.Text, "http://localhost:8080/l/"+p.Links[0].Code) ||
		p.Segments != "1" || p.Encoding != bot.GSM7 || p.Subscribers != 2 || p.SendNow != 2 || p.Later != 0 || p.Left != 30 || p.Quota != 30 {
		t.Errorf("preview %+v", p)
	}
	reply := h.text(yogaPhone, "Class at 7: https://example.com/yoga")
	if !strings.Contains(reply, "Recipients: 2. Size: "+p.Segments+" SMS each (GSM-7). Announcements left this period: 30.") {
		t.Errorf("the draft reply %q differs from the preview %+v", reply, p)
	}
	if p, err := s.Preview(yogaPhone, "Café ☕", "https://pics.example.com/a.jpg"); err != nil || p.Encoding != bot.UCS2 || !p.Picture {
		t.Errorf("emoji and picture: %+v, %v", p, err)
	}
	_, err = s.Preview(yogaPhone, strings.Repeat("a", 1590), "")
	wantReason(t, "too long", err, ReasonTooLong)
	_, err = s.Preview(yogaPhone, "  ", "")
	wantReason(t, "empty", err, ReasonEmpty)
	_, err = s.Preview(yogaPhone, "bell\a", "")
	wantReason(t, "control", err, ReasonControl)
	_, err = s.Preview("+15550007777", "hi", "")
	wantCode(t, "no such client", err, bot.ENOTFOUND)
	h.run("! client +15550006666 BAKE past_due Corner Bakery")
	_, err = s.Preview("+15550006666", "hi", "")
	wantReason(t, "past due", err, ReasonNotActive)
}

// Create starts an announcement under CONFIRM's rules: it counts, queues a
// row per subscriber and announcement.sent, and runs once; HALT's rule
// stops it, once.
func TestServiceCreateAndHalt(t *testing.T) {
	h := yogaHarness(t, 2)
	hook := hookEndpoint(t, h, bot.MustPhone(yogaPhone))
	h.text(sub1, "YOGA")
	h.text(sub2, "YOGA")
	s := h.service()
	a, err := s.Create(context.Background(), yogaPhone, "Class at 7 https://example.com/a", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.State != StateSending || a.Recipients != 2 || a.Counts.Queued != 2 || len(a.Links) != 1 || a.Links[0].URL != "https://example.com/a" {
		t.Errorf("created %+v", a)
	}
	rows := 0
	for _, m := range h.outbox() {
		if m.AnnouncementID == a.ID && strings.HasPrefix(m.Body, "Sunrise Yoga: Class at 7 http://localhost:8080/l/") {
			rows++
		}
	}
	if rows != 2 {
		t.Errorf("%d rows queued, want 2", rows)
	}
	if got := hookTypes(t, h, hook.ID); !slices.Contains(got, bot.HookAnnouncementSent) {
		t.Errorf("hooks %v: no announcement.sent", got)
	}
	if r := h.text(yogaPhone, "STATS"); !strings.Contains(r, "left this period: 1 of 2") {
		t.Errorf("STATS %q: not counted", r)
	}
	halted, err := s.Halt(yogaPhone, a.ID)
	if err != nil || halted.State != StateHalted || halted.Counts.Halted != 2 {
		t.Fatalf("halt: %+v, %v", halted, err)
	}
	_, err = s.Halt(yogaPhone, a.ID)
	wantReason(t, "halt again", err, ReasonFinished)
	_, err = s.Create(context.Background(), yogaPhone, "second", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Create(context.Background(), yogaPhone, "third", "", nil)
	wantReason(t, "past the quota", err, ReasonQuota)
	if r := h.text(yogaPhone, "STATS"); !strings.Contains(r, "left this period: 0 of 2") {
		t.Errorf("STATS after the quota: %q", r)
	}
}

// A send_at schedules under LATER's rules; the announcement keeps its id
// when it goes out; cancel gives a scheduled one back and refuses a sent
// one; bad times and a scheduled picture are refused.
func TestServiceSchedule(t *testing.T) {
	h := yogaHarness(t, 5)
	h.text(sub1, "YOGA")
	s := h.service()
	at := h.clock.Now().Add(2 * time.Hour)
	a, err := s.Create(context.Background(), yogaPhone, "Later class", "", &at)
	if err != nil {
		t.Fatal(err)
	}
	if a.State != StateScheduled || !a.SendAt.Equal(at) {
		t.Errorf("scheduled %+v", a)
	}
	if r := h.text(yogaPhone, "SCHEDULED"); !strings.Contains(r, "Later class") {
		t.Errorf("SCHEDULED does not list it: %q", r)
	}
	_, err = s.Halt(yogaPhone, a.ID)
	wantReason(t, "halt a scheduled one", err, ReasonScheduled)
	h.clock.Set(at.Add(time.Second))
	sched := NewScheduler(h.db, h.clock, locales.MustLoad(), h.engine.Notify, h.brain)
	if _, err := sched.SendDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	went, err := s.Get(yogaPhone, a.ID)
	if err != nil || went.State != StateSending || went.Recipients != 1 {
		t.Fatalf("after its time: %+v, %v", went, err)
	}
	_, err = s.Cancel(yogaPhone, a.ID)
	wantReason(t, "cancel a sent one", err, ReasonNotScheduled)

	at = h.clock.Now().Add(24 * time.Hour)
	b, err := s.Create(context.Background(), yogaPhone, "Tomorrow", "", &at)
	if err != nil {
		t.Fatal(err)
	}
	list, next, err := s.List(yogaPhone, 0, 10)
	if err != nil || next != 0 || len(list) != 2 || list[0].ID != b.ID || list[1].ID != a.ID {
		t.Errorf("list: %+v, %d, %v", list, next, err)
	}
	if c, err := s.Cancel(yogaPhone, b.ID); err != nil || c.State != StateCanceled {
		t.Fatalf("cancel: %+v, %v", c, err)
	}
	_, err = s.Get(yogaPhone, b.ID)
	wantCode(t, "a canceled one", err, bot.ENOTFOUND)
	if r := h.text(yogaPhone, "STATS"); !strings.Contains(r, "left this period: 4 of 5") {
		t.Errorf("the canceled one is not given back: %q", r)
	}
	for _, bad := range []time.Time{h.clock.Now().Add(-time.Minute), h.clock.Now().Add(MaxSchedule + time.Hour)} {
		_, err = s.Create(context.Background(), yogaPhone, "x", "", &bad)
		wantReason(t, "send_at "+bad.String(), err, ReasonSendAt)
	}
	_, err = s.Create(context.Background(), yogaPhone, "x", "https://pics.example.com/a.jpg", &at)
	wantReason(t, "a scheduled picture", err, ReasonPicture)
	_, err = s.Create(context.Background(), yogaPhone, "x", "https://pics.example.com/a.jpg", nil)
	wantReason(t, "a picture with no fetcher", err, ReasonPicture)
}

// One client's ids are not found for another.
func TestServiceWalls(t *testing.T) {
	h := yogaHarness(t, 5)
	h.run("! client +15550006666 BAKE Corner Bakery\n! quota +15550006666 5")
	h.text(sub1, "YOGA")
	s := h.service()
	at := h.clock.Now().Add(time.Hour)
	a, err := s.Create(context.Background(), yogaPhone, "Yoga news", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Create(context.Background(), yogaPhone, "Yoga later", "", &at)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []uint64{a.ID, b.ID, 999} {
		_, err = s.Get("+15550006666", id)
		wantCode(t, "get", err, bot.ENOTFOUND)
		_, err = s.Halt("+15550006666", id)
		wantCode(t, "halt", err, bot.ENOTFOUND)
		_, err = s.Cancel("+15550006666", id)
		wantCode(t, "cancel", err, bot.ENOTFOUND)
	}
	if list, _, err := s.List("+15550006666", 0, 10); err != nil || len(list) != 0 {
		t.Errorf("BAKE lists %+v, %v", list, err)
	}
	if _, err := s.Get(yogaPhone, b.ID); err != nil {
		t.Errorf("YOGA's own: %v", err)
	}
}

// Replies make threads by #n with their last messages and count for the
// announcement; an answer goes as "#n text" does and joins the thread.
func TestServiceThreadsAndAnswer(t *testing.T) {
	h := yogaHarness(t, 5)
	h.text(sub1, "YOGA")
	h.text(sub2, "YOGA")
	s := h.service()
	a, err := s.Create(context.Background(), yogaPhone, "Class at 7", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	h.text(sub1, "is class full?")
	h.text(sub2, "see you there")
	threads, next, err := s.Threads(yogaPhone, bot.ThreadCursor{}, 1)
	if err != nil || len(threads) != 1 || threads[0].N != 2 || next == nil {
		t.Fatalf("first page: %+v, %v, %v", threads, next, err)
	}
	rest, next, _ := s.Threads(yogaPhone, *next, 1)
	if len(rest) != 1 || rest[0].N != 1 || next != nil || rest[0].Messages[0].Text != "is class full?" || !rest[0].Messages[0].In {
		t.Errorf("second page: %+v, %v", rest, next)
	}
	th, err := s.Answer(yogaPhone, 1, " Not yet! ")
	if err != nil || len(th.Messages) != 2 || th.Messages[1].Text != "Not yet!" || th.Messages[1].In {
		t.Fatalf("answer: %+v, %v", th, err)
	}
	out := h.outbox()
	if last := out[len(out)-1]; last.To != sub1 || last.Body != "Sunrise Yoga: Not yet!" {
		t.Errorf("answer sent as %+v", last)
	}
	if got, _ := s.Get(yogaPhone, a.ID); got.Replies != 2 {
		t.Errorf("replies counted %d, want 2", got.Replies)
	}
	_, err = s.Answer(yogaPhone, 9, "hi")
	wantCode(t, "unknown #9", err, bot.ENOTFOUND)
	_, err = s.Answer("+15550006666", 1, "hi")
	wantCode(t, "another client's #1", err, bot.ENOTFOUND)
	_, err = s.Answer(yogaPhone, 1, "")
	wantReason(t, "empty answer", err, ReasonEmpty)
	h.text(sub1, "LEAVE")
	_, err = s.Answer(yogaPhone, 1, "bye")
	wantReason(t, "#1 left", err, ReasonGone)
}

// Every SMS refusal the Service words for the API is a message the SMS
// side has: a renamed message id fails here, not in production.
func TestRefusalsAreMessages(t *testing.T) {
	tr := locales.MustLoad()
	for id := range refusals {
		if _, err := tr.Render(bot.English, id, map[string]any{"N": 1, "Length": 2, "Limit": 3, "Quota": 4, "Name": "x"}); err != nil {
			t.Errorf("%s: %v", id, err)
		}
	}
}
