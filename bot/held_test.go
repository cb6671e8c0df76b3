package bot_test

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"nudges/bot"
	"nudges/locales"
	"nudges/store"
)

// The day New York springs forward (8 March 2026), at 12:30 UTC: 8:30 EDT
// in New York (open: the day before it was 7:30 EST), 13:30 in Madrid
// (open), 4:30 in Anchorage and 3:30 in Adak (closed until Adak's 8:00 HDT,
// 17:00 UTC), and 5:30 in Los Angeles, the NUDGES_TIMEZONE that +1 555
// numbers fall back on (closed until 15:00 UTC).
var (
	dstNow     = time.Date(2026, 3, 8, 12, 30, 0, 0, time.UTC)
	alaskaOpen = time.Date(2026, 3, 8, 17, 0, 0, 0, time.UTC)
	laOpen     = time.Date(2026, 3, 8, 15, 0, 0, 0, time.UTC)
)

// zonePhones are two numbers per zone and when each may first get an
// announcement at dstNow.
var zonePhones = map[bot.Phone]time.Time{
	"+12125550100": dstNow, "+12125550101": dstNow,
	"+34911234567": dstNow, "+34911234568": dstNow,
	"+19075550100": alaskaOpen, "+19075550101": alaskaOpen,
	"+15550001111": laOpen, "+15550001112": laOpen,
}

func windowLA() *bot.SendWindow {
	la, _ := time.LoadLocation("America/Los_Angeles")
	return bot.NewSendWindow(bot.DefaultWindow, la)
}

// zoneList is a database with client YOGA and the zonePhones on its list.
func zoneList(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "n.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	err = db.Update(func(tx bot.Tx) error {
		c := &bot.Client{Phone: fanClient, Name: "Sunrise Yoga", Keyword: "YOGA", Status: bot.ClientActive, CreatedAt: fanT0}
		if err := tx.PutClient(c); err != nil {
			return err
		}
		for p := range zonePhones {
			if err := tx.PutConversation(&bot.Conversation{Phone: p, Locale: bot.English, FirstSeen: fanT0}); err != nil {
				return err
			}
			if _, err := tx.Subscribe("YOGA", p, fanT0); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// sendLog records when each message went, on the test's clock.
type sendLog struct {
	clock *bot.FixedClock
	mu    sync.Mutex
	at    map[bot.Phone][]time.Time
	kinds map[string]int
}

func (s *sendLog) Send(_ context.Context, m bot.OutMessage) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.at[m.To] = append(s.at[m.To], s.clock.Now())
	s.kinds[m.Kind]++
	return "SM" + string(m.To[1:]), nil
}

// countingQueue counts the dispatcher's claims.
type countingQueue struct {
	bot.Queue
	claims atomic.Int64
}

func (q *countingQueue) Claim(now time.Time, n int, room func(bot.Phone) int) ([]bot.OutMessage, time.Time, error) {
	q.claims.Add(1)
	return q.Queue.Claim(now, n, room)
}

func TestSplitCountsByZoneFromTheListGroups(t *testing.T) {
	db := zoneList(t)
	var groups []bot.PhoneGroup
	db.View(func(tx bot.Tx) (err error) { groups, err = tx.ListGroups("YOGA"); return err })
	w := windowLA()
	if now, later := w.Split(groups, dstNow); now != 4 || later != 4 {
		t.Errorf("on the DST morning: %d now, %d later; want New York and Madrid now, Alaska and 555 later", now, later)
	}
	// The day before, 12:30 UTC is 7:30 EST: New York waits too.
	if now, later := w.Split(groups, dstNow.Add(-24*time.Hour)); now != 2 || later != 6 {
		t.Errorf("the day before: %d now, %d later; want only Madrid now", now, later)
	}
	if now, later := w.Split(groups, alaskaOpen); now != 8 || later != 0 {
		t.Errorf("at 17:00 UTC: %d now, %d later; want all now", now, later)
	}
	off := bot.NewSendWindow(bot.WindowOff, nil)
	if now, later := off.Split(groups, dstNow); now != 8 || later != 0 {
		t.Errorf("window off: %d now, %d later", now, later)
	}
}

// Each recipient's row is due when its window opens; the dispatcher sends
// every one inside its window, waits (without polling the queue over and
// over) for the held ones, and the report comes after the last.
func TestHeldRowsGoWhenTheirWindowOpensAndTheReportWaits(t *testing.T) {
	db := zoneList(t)
	clock := bot.NewFixedClock(dstNow)
	w := windowLA()
	id := startAnnouncement(t, db, "hi")
	f := newFanOut(db, clock, 3)
	f.Due = w.Due
	if err := f.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	for p, due := range dueTimes(t, db, id) {
		if want := zonePhones[p]; !due.Equal(want) {
			t.Errorf("%s due %s, want %s", p, due, want)
		}
	}
	a := announcement(t, db, id)
	if got := a.Waiting(dstNow); got != 4 {
		t.Errorf("waiting at CONFIRM: %d, want 4", got)
	}
	if got := a.Waiting(laOpen); got != 2 {
		t.Errorf("waiting once Los Angeles opened: %d, want 2 (Alaska)", got)
	}
	if g, err := db.Gauges(dstNow); err != nil || g.Waiting != 4 {
		t.Errorf("send-window gauge %d (%v), want 4", g.Waiting, err)
	}

	life := &bot.Lifecycle{Store: db, Report: bot.ReportTo(locales.MustLoad()), Clock: clock, Window: w}
	q := &countingQueue{Queue: life}
	s := &sendLog{clock: clock, at: map[bot.Phone][]time.Time{}, kinds: map[string]int{}}
	d := &bot.Dispatcher{Queue: q, Sender: s, Capture: s, Clock: clock,
		Sleep: func(ctx context.Context, d time.Duration) error { clock.Advance(d); return ctx.Err() }}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := d.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	for p, due := range zonePhones {
		at := s.at[p]
		if len(at) != 1 || at[0].Before(due) || !w.NextOpen(p, at[0]).Equal(at[0]) {
			t.Errorf("%s sent at %v, want once, inside its window, from %s", p, at, due)
		}
	}
	if got := s.at[fanClient]; len(got) != 1 || got[0].Before(alaskaOpen) {
		t.Errorf("report sent at %v, want once, after the last row (%s)", got, alaskaOpen)
	}
	a = announcement(t, db, id)
	if a.DoneAt.Before(alaskaOpen) || a.Counts[bot.StatusSent] != 8 || a.Waiting(a.DoneAt) != 0 {
		t.Errorf("after the drain: %+v", a)
	}
	// A few claims per send time (claim, the empty look while sends are in
	// flight, the one after the wait); spinning on held rows would be
	// thousands.
	if n := q.claims.Load(); n > 40 {
		t.Errorf("%d claims for four send times: the dispatcher polled held rows", n)
	}
	if g, _ := db.Gauges(clock.Now()); g.Waiting != 0 {
		t.Errorf("send-window gauge %d after the drain", g.Waiting)
	}
}

// A row that was due while the window was open but is claimed after it
// closed (a long broadcast paced past 8 PM) waits for the next morning,
// still queued; replies, codes, billing texts and reports to the same
// phone go at once.
func TestClaimHoldsAnAnnouncementRowPastItsWindow(t *testing.T) {
	db := zoneList(t)
	clock := bot.NewFixedClock(dstNow)
	id := startAnnouncement(t, db, "hi")
	if err := newFanOut(db, clock, 0).Drain(context.Background()); err != nil { // no window at fan-out
		t.Fatal(err)
	}
	late := time.Date(2026, 3, 9, 0, 30, 0, 0, time.UTC) // 8:30 PM EDT, 5:30 PM PDT
	var reply uint64
	err := db.Update(func(tx bot.Tx) error { // never held: to New York, closed now
		for _, kind := range []string{bot.KindReply, bot.KindOTP, bot.KindBilling, bot.KindReport} {
			m := &bot.OutMessage{To: "+12125550100", Body: kind, Kind: kind, NextAt: late, CreatedAt: late}
			if err := tx.Enqueue(m); err != nil {
				return err
			}
			if reply == 0 {
				reply = m.ID
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	life := &bot.Lifecycle{Store: db, Clock: clock, Window: windowLA()}
	msgs, next, err := life.Claim(late, 100, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[bot.Phone]bool{}
	for _, m := range msgs {
		got[m.To] = true
	}
	// Madrid is at 1:30 AM, New York closed; Alaska (4:30 PM AKDT, 3:30 PM
	// HDT) and Los Angeles are open.
	want := map[bot.Phone]bool{"+19075550100": true, "+19075550101": true, "+15550001111": true, "+15550001112": true}
	if len(msgs) != 8 || msgs[0].ID != reply {
		t.Errorf("claimed %d, want the reply, code, billing text and report first, and 4 announcement rows", len(msgs))
	}
	for _, m := range msgs[:4] {
		if m.Kind == bot.KindAnnouncement || m.To != "+12125550100" {
			t.Errorf("claimed %s to %s among the first four", m.Kind, m.To)
		}
	}
	for p := range want {
		if !got[p] {
			t.Errorf("%s not claimed at %s", p, late)
		}
	}
	madrid := time.Date(2026, 3, 9, 7, 0, 0, 0, time.UTC)
	if !next.Equal(madrid) {
		t.Errorf("next look at %s, want Madrid's 8:00 (%s)", next, madrid)
	}
	due := dueTimes(t, db, id)
	if !due["+12125550100"].Equal(time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC)) || !due["+34911234567"].Equal(madrid) {
		t.Errorf("held rows due %v", due)
	}
	if w := announcement(t, db, id).Waiting(late); w != 4 {
		t.Errorf("waiting %d after the claim, want New York's and Madrid's 4", w)
	}
}

// HALT drops held rows too: nothing waits for the window afterwards.
func TestHaltDropsHeldRows(t *testing.T) {
	db := zoneList(t)
	clock := bot.NewFixedClock(dstNow)
	id := startAnnouncement(t, db, "hi")
	f := newFanOut(db, clock, 0)
	f.Due = windowLA().Due
	if err := f.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	life := &bot.Lifecycle{Store: db, Clock: clock}
	a, dropped, err := life.Halt(id, dstNow)
	if err != nil || dropped != 8 {
		t.Fatalf("dropped %d (%v), want all 8 (4 of them held)", dropped, err)
	}
	if a.Waiting(dstNow) != 0 || a.Counts[bot.StatusHalted] != 8 || a.DoneAt.IsZero() {
		t.Errorf("after HALT: %+v", a)
	}
	if g, _ := db.Gauges(dstNow); g.Waiting != 0 {
		t.Errorf("send-window gauge %d after HALT", g.Waiting)
	}
}

// dueTimes is each announcement row's NextAt, by phone.
func dueTimes(t *testing.T, db *store.DB, id uint64) map[bot.Phone]time.Time {
	t.Helper()
	due := map[bot.Phone]time.Time{}
	db.Read(func(tx *store.Tx) error {
		for i := uint64(1); ; i++ {
			m, err := tx.OutMessage(i)
			if err != nil || m == nil {
				return err
			}
			if m.AnnouncementID == id {
				due[m.To] = m.NextAt.UTC()
			}
		}
	})
	return due
}
