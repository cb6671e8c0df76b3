package flows

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"nudges/bot"
	"nudges/locales"
	"nudges/store"
)

// Dialogue directives for scheduling:
//
//	! scheduler               the scheduler's look at the clock's time: due
//	                          announcements start (their texts show as <<)
//	! zone +15550009999 Europe/Madrid   that client's number is in that zone
func init() {
	directives["scheduler"] = func(h *harness, _ string) error {
		_, err := NewScheduler(h.db, h.clock, h.engine.T, h.engine.Notify, h.brain).SendDue(context.Background())
		return err
	}
	directives["zone"] = func(h *harness, args string) error {
		phone, name, _ := strings.Cut(strings.TrimSpace(args), " ")
		loc, err := time.LoadLocation(name)
		if err != nil {
			return err
		}
		prev := h.brain.ClientZone
		h.brain.ClientZone = func(p bot.Phone) *time.Location {
			if p == bot.MustPhone(phone) {
				return loc
			}
			if prev != nil {
				return prev(p)
			}
			return nil
		}
		return nil
	}
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestPlaceWhen(t *testing.T) {
	ny := mustZone(t, "America/New_York")
	now := time.Date(2026, 1, 5, 15, 0, 0, 0, time.UTC) // Monday 10:00 EST
	cases := []struct {
		arg      string
		dayFirst bool
		want     string // local time, or the problem
	}{
		{"9AM", false, "2026-01-06 09:00 EST"}, // passed today: tomorrow
		{"11AM", false, "2026-01-05 11:00 EST"},
		{"9:30PM", false, "2026-01-05 21:30 EST"},
		{"21:30", false, "2026-01-05 21:30 EST"},
		{"9 PM", false, "2026-01-05 21:00 EST"},
		{"9:30 P.M", false, "2026-01-05 21:30 EST"},
		{"12AM", false, "2026-01-06 00:00 EST"},
		{"12PM", false, "2026-01-05 12:00 EST"},
		{"TOMORROW 9AM", false, "2026-01-06 09:00 EST"},
		{"MAÑANA A LAS 9AM", true, "2026-01-06 09:00 EST"},
		{"TOMORROW AT 11AM", false, "2026-01-06 11:00 EST"},
		{"TODAY 9AM", false, string(whenPast)},
		{"HOY 11AM", true, "2026-01-05 11:00 EST"},
		{"FRI 9AM", false, "2026-01-09 09:00 EST"},
		{"VIE 9AM", true, "2026-01-09 09:00 EST"},
		{"MON 9AM", false, "2026-01-12 09:00 EST"}, // today's 9 AM passed: next week
		{"MON 11AM", false, "2026-01-05 11:00 EST"},
		{"9AM FRIDAY", false, "2026-01-09 09:00 EST"},
		{"1/7 9AM", false, "2026-01-07 09:00 EST"},
		{"7/1 9AM", true, "2026-01-07 09:00 EST"},
		{"24/1 9AM", false, "2026-01-24 09:00 EST"}, // reads only one way
		{"1/24 9AM", true, "2026-01-24 09:00 EST"},
		{"12/24 9AM", false, string(whenTooFar)},
		{"24/12 9AM", true, string(whenTooFar)},
		{"2/4 9AM", false, "2026-02-04 09:00 EST"},
		{"2/5 9AM", false, string(whenTooFar)}, // 31 days
		{"1/5 9AM", false, string(whenPast)},
		{"2/30 9AM", false, string(whenUnreadable)},
		{"13/13 9AM", false, string(whenUnreadable)},
		{"9", false, string(whenUnreadable)},
		{"13PM", false, string(whenUnreadable)},
		{"9:75AM", false, string(whenUnreadable)},
		{"24:00", false, string(whenUnreadable)},
		{"9AMM", false, string(whenUnreadable)},
		{"TOMORROW FRI 9AM", false, string(whenUnreadable)},
	}
	for _, c := range cases {
		got := string(whenUnreadable)
		if w, ok := parseWhen(c.arg, c.dayFirst); ok {
			at, problem := w.place(now, ny)
			got = string(problem)
			if problem == whenOK {
				got = at.In(ny).Format("2006-01-02 15:04 MST")
			}
		}
		if got != c.want {
			t.Errorf("%q (day first %v): got %s, want %s", c.arg, c.dayFirst, got, c.want)
		}
	}
}

// A date in January read in late December is next year's.
func TestPlaceWhenAcrossNewYear(t *testing.T) {
	ny := mustZone(t, "America/New_York")
	now := time.Date(2026, 12, 28, 15, 0, 0, 0, time.UTC)
	w, ok := parseWhen("1/2 9AM", false)
	if !ok {
		t.Fatal("unread")
	}
	at, problem := w.place(now, ny)
	if problem != whenOK || at.In(ny).Format("2006-01-02 15:04") != "2027-01-02 09:00" {
		t.Errorf("got %v %q", at, problem)
	}
}

// Days are counted on the client's wall clock: TOMORROW 9AM the day before
// the clocks go forward is 9 AM EDT (13:00 UTC), not 24 hours on (14:00 UTC).
func TestPlaceWhenAcrossDSTChange(t *testing.T) {
	ny := mustZone(t, "America/New_York")
	now := time.Date(2026, 3, 7, 15, 0, 0, 0, time.UTC) // Saturday 10:00 EST; DST starts Sunday 2 AM
	for arg, want := range map[string]string{
		"TOMORROW 9AM": "2026-03-08T13:00:00Z",
		"9AM":          "2026-03-08T13:00:00Z",
		"SUN 9AM":      "2026-03-08T13:00:00Z",
		"MON 9AM":      "2026-03-09T13:00:00Z",
		"TOMORROW 1AM": "2026-03-08T06:00:00Z", // still EST
		"3/8 2:30AM":   "2026-03-08T07:30:00Z", // a time the clocks skip: read as 3:30 EDT
	} {
		w, ok := parseWhen(arg, false)
		if !ok {
			t.Fatalf("%q unread", arg)
		}
		at, problem := w.place(now, ny)
		if problem != whenOK || at.UTC().Format(time.RFC3339) != want {
			t.Errorf("%q: got %v %q, want %s", arg, at.UTC(), problem, want)
		}
	}
	at := time.Date(2026, 3, 8, 13, 0, 0, 0, time.UTC)
	if got := whenText(bot.English, at, ny); got != "Sunday, March 8, 9:00 AM EDT" {
		t.Errorf("en %q", got)
	}
	if got := whenText(bot.Spanish, at, ny); got != "domingo 8 de marzo, 09:00 EDT" {
		t.Errorf("es %q", got)
	}
}

func TestZoneTextWithoutLetters(t *testing.T) {
	loc := mustZone(t, "America/Sao_Paulo")
	at := time.Date(2026, 1, 5, 15, 0, 0, 0, time.UTC)
	if got := whenShort(bot.English, at, loc); got != "Mon Jan 5, 12:00 PM UTC-03" {
		t.Errorf("got %q", got)
	}
}

// A scheduled announcement is in the file: a restart (the store closed and
// opened again, a new scheduler) sends it once, at its time.
func TestScheduledSurvivesRestartAndGoesOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nudges.db")
	clock := bot.NewFixedClock(Start)
	open := func() (*store.DB, *bot.Engine, *Scheduler) {
		db, err := store.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		brain := &Brain{ServiceNumber: "+15550000000"}
		tr := locales.MustLoad()
		eng := &bot.Engine{Store: db, Brain: brain, Clock: clock, T: tr, DefaultLocale: bot.English}
		fan := &bot.FanOut{Store: db, Compose: Composer(tr), Report: bot.ReportTo(tr), Clock: clock}
		drain := func() {
			if err := fan.Drain(context.Background()); err != nil {
				t.Errorf("fan-out: %v", err)
			}
		}
		return db, eng, NewScheduler(db, clock, tr, drain, brain)
	}
	db, eng, _ := open()
	h := &harness{t: t, db: db, clock: clock, engine: eng, brain: eng.Brain.(*Brain)}
	for _, d := range []string{"client " + yogaPhone + " YOGA Sunrise Yoga", "quota " + yogaPhone + " 30"} {
		name, args, _ := strings.Cut(d, " ")
		if err := directives[name](h, args); err != nil {
			t.Fatal(err)
		}
	}
	h.text(sub1, "YOGA")
	h.text(yogaPhone, "Class at 7")
	if r := h.text(yogaPhone, "LATER 11AM"); !strings.Contains(r, "Monday, January 5, 11:00 AM EST") {
		t.Fatalf("LATER answered %q", r)
	}
	db.Close()

	db, _, sched := open()
	defer db.Close()
	next, err := sched.SendDue(context.Background())
	if err != nil || !next.Equal(time.Date(2026, 1, 5, 16, 0, 0, 0, time.UTC)) {
		t.Fatalf("before due: next %v, err %v", next, err)
	}
	if n := countKind(t, db, bot.KindAnnouncement); n != 0 {
		t.Fatalf("%d announcements queued before due", n)
	}
	clock.Set(time.Date(2026, 1, 5, 16, 0, 0, 0, time.UTC))
	for range 2 { // a second look (or a second process) finds nothing to send
		if next, err := sched.SendDue(context.Background()); err != nil || !next.IsZero() {
			t.Fatalf("at due: next %v, err %v", next, err)
		}
	}
	if n := countKind(t, db, bot.KindAnnouncement); n != 1 {
		t.Fatalf("%d announcements queued, want 1", n)
	}
}

func countKind(t *testing.T, db *store.DB, kind string) int {
	t.Helper()
	n := 0
	err := db.Read(func(tx *store.Tx) error {
		for id := uint64(1); ; id++ {
			m, err := tx.OutMessage(id)
			if err != nil || m == nil {
				return err
			}
			if m.Kind == kind {
				n++
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TOMORROW 9AM the day before the clocks go forward goes out at 9 AM EDT
// (13:00 UTC), not an hour late at 9 AM EST.
func TestScheduledGoesAtWallClockAcrossDST(t *testing.T) {
	h := yogaHarness(t, 30)
	h.clock.Set(time.Date(2026, 3, 7, 15, 0, 0, 0, time.UTC)) // Saturday 10:00 EST
	h.text(sub1, "YOGA")
	h.text(yogaPhone, "Sunday class at 10")
	if r := h.text(yogaPhone, "LATER TOMORROW 9AM"); !strings.Contains(r, "Sunday, March 8, 9:00 AM EDT") {
		t.Fatalf("LATER answered %q", r)
	}
	sched := NewScheduler(h.db, h.clock, h.engine.T, h.engine.Notify, h.brain)
	h.clock.Set(time.Date(2026, 3, 8, 12, 59, 59, 0, time.UTC))
	next, err := sched.SendDue(context.Background())
	if err != nil || !next.Equal(time.Date(2026, 3, 8, 13, 0, 0, 0, time.UTC)) || countKind(t, h.db, bot.KindAnnouncement) != 0 {
		t.Fatalf("a second before 9 AM EDT: next %v, err %v, %d sent", next, err, countKind(t, h.db, bot.KindAnnouncement))
	}
	h.clock.Set(time.Date(2026, 3, 8, 13, 0, 0, 0, time.UTC))
	if _, err := sched.SendDue(context.Background()); err != nil || countKind(t, h.db, bot.KindAnnouncement) != 1 {
		t.Fatalf("at 9 AM EDT: err %v, %d sent", err, countKind(t, h.db, bot.KindAnnouncement))
	}
}

// Run starts what is due and stops when its context ends.
func TestSchedulerRunStartsDueAndStops(t *testing.T) {
	h := yogaHarness(t, 30)
	h.text(sub1, "YOGA")
	h.text(yogaPhone, "Class at 7")
	h.text(yogaPhone, "LATER 11AM")
	h.clock.Set(time.Date(2026, 1, 5, 16, 0, 0, 0, time.UTC))
	kicked := make(chan struct{}, 1)
	sched := NewScheduler(h.db, h.clock, h.engine.T, func() { h.engine.Notify(); kicked <- struct{}{} }, h.brain)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- sched.Run(ctx) }()
	<-kicked // the fan-out and dispatcher are woken once the broadcast is committed
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if n := countKind(t, h.db, bot.KindAnnouncement); n != 1 {
		t.Fatalf("%d announcements queued, want 1", n)
	}
}

// failingAnnouncements is a store whose transactions cannot save an
// announcement.
type failingAnnouncements struct{ db *store.DB }

func (s failingAnnouncements) View(fn func(bot.Tx) error) error  { return s.db.View(fn) }
func (s failingAnnouncements) Batch(fn func(bot.Tx) error) error { return s.Update(fn) }
func (s failingAnnouncements) TxLimit() int                      { return s.db.TxLimit() }

type noAnnouncementTx struct{ bot.Tx }

func (noAnnouncementTx) PutAnnouncement(*bot.Announcement) error { return errors.New("disk on fire") }

func (s failingAnnouncements) Update(fn func(bot.Tx) error) error {
	return s.db.Update(func(tx bot.Tx) error { return fn(noAnnouncementTx{tx}) })
}

// An announcement that cannot start is taken off the schedule (and logged)
// rather than failing again at every look and holding up the ones after it.
func TestScheduledThatCannotStartIsDropped(t *testing.T) {
	h := yogaHarness(t, 30)
	h.text(sub1, "YOGA")
	h.text(yogaPhone, "First")
	h.text(yogaPhone, "LATER 11AM")
	h.clock.Set(time.Date(2026, 1, 5, 16, 0, 0, 0, time.UTC))
	var logged strings.Builder
	sched := NewScheduler(failingAnnouncements{h.db}, h.clock, h.engine.T, nil, h.brain)
	sched.Log = slog.New(slog.NewTextHandler(&logged, nil))
	if next, err := sched.SendDue(context.Background()); err != nil || !next.IsZero() {
		t.Fatalf("SendDue: next %v, err %v", next, err)
	}
	if !strings.Contains(logged.String(), "disk on fire") {
		t.Errorf("the failure was not logged: %q", logged.String())
	}
	if n := countKind(t, h.db, bot.KindAnnouncement); n != 0 {
		t.Errorf("%d announcements queued", n)
	}
	h.db.View(func(tx bot.Tx) error {
		if s, _ := tx.NextScheduled(); s != nil {
			t.Errorf("still scheduled: %+v", s)
		}
		if c, _ := tx.Client(bot.MustPhone(yogaPhone)); c == nil || c.Used != 0 {
			t.Errorf("not given back: %+v", c)
		}
		return nil
	})
	box := h.outbox()
	if last := box[len(box)-1]; last.To != bot.MustPhone(yogaPhone) || !strings.Contains(last.Body, "could not be sent") {
		t.Errorf("the client was not told: %+v", last)
	}
}
