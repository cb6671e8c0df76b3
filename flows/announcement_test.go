package flows

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"nudges/bot"
	"nudges/locales"
	"nudges/store"
)

func init() {
	directives["quota"] = directiveQuota
}

// directiveQuota: `! quota PHONE QUOTA [USED]` gives the client a plan with
// QUOTA announcements per period, USED of them already confirmed.
func directiveQuota(h *harness, args string) error {
	f := strings.Fields(args)
	if len(f) < 2 || len(f) > 3 {
		return fmt.Errorf("want PHONE QUOTA [USED]")
	}
	q, err := strconv.Atoi(f[1])
	if err != nil {
		return err
	}
	used := 0
	if len(f) == 3 {
		if used, err = strconv.Atoi(f[2]); err != nil {
			return err
		}
	}
	return h.db.Update(func(tx bot.Tx) error {
		c, err := tx.Client(bot.MustPhone(f[0]))
		if err != nil || c == nil {
			return fmt.Errorf("client %s: %v", f[0], err)
		}
		p := &bot.Plan{Name: fmt.Sprintf("Test %d", q), PriceMinor: 900, Currency: "usd", Interval: bot.Month, Quota: q, Active: true}
		if err := tx.PutPlan(p); err != nil {
			return err
		}
		c.PlanID, c.Used = p.ID, used
		return tx.PutClient(c)
	})
}

// text sends body from phone through the engine and returns the reply.
func (h *harness) text(phone, body string) string {
	h.t.Helper()
	h.clock.Advance(time.Second)
	h.seq++
	in := bot.Inbound{SID: fmt.Sprintf("SMunit%04d", h.seq), From: bot.MustPhone(phone), To: "+15550000000", Body: body}
	r, err := h.engine.Handle(context.Background(), in)
	if err != nil {
		h.t.Fatalf("%s %q: %v", phone, body, err)
	}
	return r.Text
}

// outbox returns every message queued so far.
func (h *harness) outbox() []bot.OutMessage {
	h.t.Helper()
	var out []bot.OutMessage
	err := h.db.Read(func(tx *store.Tx) error {
		for id := uint64(1); ; id++ {
			m, err := tx.OutMessage(id)
			if err != nil || m == nil {
				return err
			}
			out = append(out, *m)
		}
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return out
}

const (
	yogaPhone = "+15550009999"
	sub1      = "+15550001111"
	sub2      = "+15550002222"
	sub3      = "+15550003333"
)

func yogaHarness(t *testing.T, quota int) *harness {
	t.Helper()
	h := newHarness(t)
	for _, d := range []string{"client " + yogaPhone + " YOGA Sunrise Yoga", fmt.Sprintf("quota %s %d", yogaPhone, quota)} {
		name, args, _ := strings.Cut(d, " ")
		if err := directives[name](h, args); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

func TestDraftMachineEveryTransition(t *testing.T) {
	d := &bot.Draft{Text: "hi"}
	cases := []struct {
		from   *bot.Draft
		event  draftEvent
		want   *bot.Draft
		wantOK bool
	}{
		{nil, evDraft, d, true},
		{&bot.Draft{Text: "old"}, evDraft, d, true}, // self-loop replaces
		{&bot.Draft{Text: "old"}, evConfirm, nil, true},
		{&bot.Draft{Text: "old"}, evDiscard, nil, true},
		{&bot.Draft{Text: "old"}, evExpire, nil, true},
		{&bot.Draft{Text: "old"}, evLater, nil, true},
		{nil, evConfirm, nil, false},
		{nil, evLater, nil, false},
		{nil, evDiscard, nil, false},
		{nil, evExpire, nil, false},
	}
	for _, c := range cases {
		conv := &bot.Conversation{Draft: c.from}
		err := fireDraft(conv, c.event, d)
		if (err == nil) != c.wantOK {
			t.Errorf("%v %s: err %v, want ok=%v", c.from, c.event, err, c.wantOK)
		}
		if conv.Draft != c.want {
			t.Errorf("%v %s: draft %v, want %v", c.from, c.event, conv.Draft, c.want)
		}
	}
}

func TestConfirmCommitsAnnouncementCountAndRows(t *testing.T) {
	h := yogaHarness(t, 5)
	h.text(sub1, "YOGA")
	h.text(sub2, "UNIRME YOGA")
	h.text(sub3, "YOGA")
	h.text(yogaPhone, "Class at 7")
	confirmAt := h.clock.Now().Add(time.Second)
	if got := h.text(yogaPhone, "CONFIRM"); !strings.Contains(got, "Sending now to 3") {
		t.Fatalf("confirm reply %q", got)
	}
	err := h.db.View(func(tx bot.Tx) error {
		a, err := tx.Announcement(1)
		if err != nil || a == nil {
			t.Fatalf("announcement: %v %v", a, err)
		}
		if a.Total != 3 || a.Counts[bot.StatusQueued] != 3 || a.Text != "Class at 7" || a.Keyword != "YOGA" {
			t.Errorf("announcement %+v", a)
		}
		c, _ := tx.Client(bot.MustPhone(yogaPhone))
		if c.Used != 1 {
			t.Errorf("used %d, want 1", c.Used)
		}
		conv, _ := tx.Conversation(bot.MustPhone(yogaPhone))
		if conv.Draft != nil {
			t.Errorf("draft kept: %+v", conv.Draft)
		}
		return tx.EachSubscriber("YOGA", func(s bot.Subscription) error {
			if !s.NoticeAt.Equal(confirmAt) {
				t.Errorf("%s notice at %v, want %v", s.Phone, s.NoticeAt, confirmAt)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	var rows int
	for _, m := range h.outbox() {
		if m.Kind != bot.KindAnnouncement {
			continue
		}
		rows++
		if m.Priority != bot.PriorityBulk || m.AnnouncementID != 1 || m.Status != bot.StatusQueued {
			t.Errorf("row %+v", m)
		}
		want := "Sunrise Yoga: Class at 7\nReply STOP to opt out."
		if m.To == bot.MustPhone(sub2) {
			want = "Sunrise Yoga: Class at 7\nResponde BAJA para darte de baja."
		}
		if m.Body != want {
			t.Errorf("to %s: %q, want %q", m.To, m.Body, want)
		}
	}
	if rows != 3 {
		t.Fatalf("%d announcement rows, want 3", rows)
	}
	if got := h.text(yogaPhone, "CONFIRM"); !strings.Contains(got, "no draft") {
		t.Errorf("second confirm %q", got)
	}
	if n := len(h.outbox()); n != 3 {
		t.Errorf("second confirm queued more: %d rows", n)
	}
}

func TestOptOutLineFirstThenEvery30Days(t *testing.T) {
	h := yogaHarness(t, 10)
	h.text(sub1, "YOGA")
	send := func(text string) string {
		h.text(yogaPhone, text)
		h.text(yogaPhone, "CONFIRM")
		box := h.outbox()
		return box[len(box)-1].Body
	}
	steps := []struct {
		wait   time.Duration
		notice bool
	}{
		{0, true},                    // first after joining
		{10 * 24 * time.Hour, false}, // 10 days later
		{19 * 24 * time.Hour, false}, // 29 days after the line
		{2 * 24 * time.Hour, true},   // 31 days after it
		{time.Hour, false},           // just had it
		{30 * 24 * time.Hour, true},  // exactly 30 days (plus the texts' seconds)
	}
	for i, s := range steps {
		h.clock.Advance(s.wait)
		body := send(fmt.Sprintf("News %d", i))
		if got := strings.Contains(body, "Reply STOP"); got != s.notice {
			t.Errorf("step %d: %q, want notice=%v", i, body, s.notice)
		}
	}
}

func TestDraftLengthLimitAtTheBoundary(t *testing.T) {
	h := yogaHarness(t, 5)
	tr := locales.MustLoad()
	over := longestDelivered(tr, "Sunrise Yoga", strings.Repeat("a", 100), false) - 100
	fits := strings.Repeat("a", MaxDelivered-over)
	if got := h.text(yogaPhone, fits); !strings.HasPrefix(got, "Draft:") {
		t.Errorf("%d-char draft refused: %q", len(fits), got)
	}
	if got := h.text(yogaPhone, fits+"a"); !strings.Contains(got, "1601 characters") {
		t.Errorf("one more char accepted: %q", got)
	}
	var draft *bot.Draft
	h.db.View(func(tx bot.Tx) error {
		c, err := tx.Conversation(bot.MustPhone(yogaPhone))
		draft = c.Draft
		return err
	})
	if draft == nil || draft.Text != fits {
		t.Errorf("a refused text should leave the last draft alone")
	}
}

func TestQuote(t *testing.T) {
	cases := map[string]string{
		"short":                       "short",
		"two\nlines":                  "two lines",
		strings.Repeat("x", 63):       strings.Repeat("x", 63),
		strings.Repeat("x", 64):       strings.Repeat("x", 60) + "...",
		strings.Repeat("ñ", 70):       strings.Repeat("ñ", 60) + "...",
		strings.Repeat("ab ", 30):     strings.TrimSpace(strings.Repeat("ab ", 20)) + "...",
		"🎉" + strings.Repeat("y", 80): "🎉" + strings.Repeat("y", 59) + "...",
	}
	for in, want := range cases {
		if got := quote(in); got != want {
			t.Errorf("quote(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestShortDate(t *testing.T) {
	d := time.Date(2026, 2, 5, 0, 0, 0, 0, time.UTC)
	if got := dayText(bot.English, d); got != "Feb 5, 2026" {
		t.Errorf("en %q", got)
	}
	if got := dayText(bot.Spanish, d); got != "5 feb 2026" {
		t.Errorf("es %q", got)
	}
}

func init() {
	directives["dispatch"] = directiveDispatch
}

// directiveDispatch: `! dispatch [PHONE…]` runs the outbox dispatcher until
// nothing is left, with a sender that takes every message except those to
// the phones named (a 400 for them); messages it queues (the client's
// report) show as `<<` lines.
func directiveDispatch(h *harness, args string) error {
	fail := map[bot.Phone]bool{}
	for _, p := range strings.Fields(args) {
		fail[bot.MustPhone(p)] = true
	}
	s := &fakeSender{fail: fail}
	d := &bot.Dispatcher{
		Queue: h.lifecycle(), Sender: s, Capture: s, Clock: h.clock,
		Sleep: func(ctx context.Context, d time.Duration) error { h.clock.Advance(d); return ctx.Err() },
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return d.Drain(ctx)
}

// fakeSender accepts every message except those to phones in fail.
type fakeSender struct {
	fail map[bot.Phone]bool
	n    atomic.Int64 // the dispatcher sends from several workers
}

func (s *fakeSender) Send(_ context.Context, m bot.OutMessage) (string, error) {
	if s.fail[m.To] {
		return "", &bot.SendError{Status: 400, Code: 21211, Message: "invalid 'To' number"}
	}
	return fmt.Sprintf("SMfake%04d", s.n.Add(1)), nil
}
