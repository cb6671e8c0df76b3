package bot_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"nudges/bot"
	"nudges/locales"
	"nudges/store"
)

var fanT0 = time.Date(2026, 2, 2, 10, 0, 0, 0, time.UTC)

const fanClient = bot.Phone("+15550009999")

// fanList opens a database with an active client YOGA and n subscribers
// +1555300000i, joined before fanT0, and returns their phones.
func fanList(t *testing.T, n int) (*store.DB, []bot.Phone) { return fanListB(t, n) }

func fanListB(t testing.TB, n int) (*store.DB, []bot.Phone) {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "n.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var phones []bot.Phone
	err = db.Update(func(tx bot.Tx) error {
		c := &bot.Client{Phone: fanClient, Name: "Sunrise Yoga", Keyword: "YOGA", Status: bot.ClientActive, CreatedAt: fanT0}
		return tx.PutClient(c)
	})
	for start := 0; start < n && err == nil; start += 10_000 {
		err = db.Update(func(tx bot.Tx) error {
			return seedRange(tx, start, min(start+10_000, n), &phones)
		})
	}
	if err != nil {
		t.Fatal(err)
	}
	return db, phones
}

// seedRange subscribes phones from..to-1 to YOGA.
func seedRange(tx bot.Tx, from, to int, phones *[]bot.Phone) error {
	for i := from; i < to; i++ {
		p := bot.Phone(fmt.Sprintf("+1555%07d", 3_000_000+i))
		if err := tx.PutConversation(&bot.Conversation{Phone: p, Locale: bot.English, FirstSeen: fanT0}); err != nil {
			return err
		}
		if _, err := tx.Subscribe("YOGA", p, fanT0.Add(-time.Hour)); err != nil {
			return err
		}
		*phones = append(*phones, p)
	}
	return nil
}

func startAnnouncement(t *testing.T, db *store.DB, text string) uint64 {
	t.Helper()
	return startAnnouncementText(t, db, text)
}

func startAnnouncementB(b *testing.B, db *store.DB) uint64 {
	return startAnnouncementText(b, db, "Class at 7")
}

func startAnnouncementText(t testing.TB, db *store.DB, text string) uint64 {
	t.Helper()
	a := &bot.Announcement{Client: fanClient, Keyword: "YOGA", Text: text, CreatedAt: fanT0}
	if err := db.Update(func(tx bot.Tx) error { return bot.StartFanout(tx, a) }); err != nil {
		t.Fatal(err)
	}
	return a.ID
}

func newFanOut(db *store.DB, clock bot.Clock, chunk int) *bot.FanOut {
	tr := locales.MustLoad()
	compose := func(a *bot.Announcement, name string, r *bot.Recipient, _ time.Time) (string, string, bool) {
		return name + ": " + a.Text, "", false
	}
	return &bot.FanOut{Store: db, Compose: compose, Report: bot.ReportTo(tr), Clock: clock, Chunk: chunk}
}

// rowsTo counts announcement rows per phone.
func rowsTo(t *testing.T, db *store.DB, id uint64) map[bot.Phone]int {
	t.Helper()
	rows := map[bot.Phone]int{}
	db.Read(func(tx *store.Tx) error {
		for i := uint64(1); ; i++ {
			m, err := tx.OutMessage(i)
			if err != nil || m == nil {
				return err
			}
			if m.AnnouncementID == id {
				rows[m.To]++
			}
		}
	})
	return rows
}

func announcement(t testing.TB, db *store.DB, id uint64) *bot.Announcement {
	t.Helper()
	var a *bot.Announcement
	db.View(func(tx bot.Tx) error {
		var err error
		a, err = tx.Announcement(id)
		return err
	})
	return a
}

// A fan-out in chunks of 3 over 10 phones: one row each, the cursor at the
// last phone, nobody who joined after CONFIRM or opted out, and one
// transaction per chunk (four steps, the last finding the list's end).
func TestFanOutAddsTheListAtConfirmInChunks(t *testing.T) {
	db, phones := fanList(t, 10)
	id := startAnnouncement(t, db, "Class at 7")
	err := db.Update(func(tx bot.Tx) error {
		if _, err := tx.Subscribe("YOGA", "+15553999999", fanT0.Add(time.Minute)); err != nil { // joined after CONFIRM
			return err
		}
		c, _ := tx.Conversation(phones[4])
		c.OptedOut = true
		return tx.PutConversation(c)
	})
	if err != nil {
		t.Fatal(err)
	}
	f := newFanOut(db, bot.NewFixedClock(fanT0), 3)
	steps := 0
	for done := false; !done; steps++ {
		if done, err = f.Step(id); err != nil {
			t.Fatal(err)
		}
	}
	if steps != 4 {
		t.Errorf("%d steps for 11 entries in chunks of 3, want 4", steps)
	}
	rows := rowsTo(t, db, id)
	for i, p := range phones {
		want := 1
		if i == 4 {
			want = 0
		}
		if rows[p] != want {
			t.Errorf("%s has %d rows, want %d", p, rows[p], want)
		}
	}
	if rows["+15553999999"] != 0 {
		t.Error("a phone that joined after CONFIRM got the announcement")
	}
	a := announcement(t, db, id)
	if a.Fanning || a.Total != 9 || a.Counts[bot.StatusQueued] != 9 || a.Cursor != "+15553999999" {
		t.Errorf("announcement after fan-out: %+v", a)
	}
	if done, err := f.Step(id); !done || err != nil {
		t.Errorf("a finished fan-out stepped again: %v %v", done, err)
	}
}

// A fan-out stopped between chunks (the process died) resumes from the
// saved cursor with a new worker: nobody twice, nobody missed; and a phone
// that left the list before its chunk is not added.
func TestFanOutResumesFromItsCursor(t *testing.T) {
	db, phones := fanList(t, 25)
	id := startAnnouncement(t, db, "hi")
	first := newFanOut(db, bot.NewFixedClock(fanT0), 4)
	for range 3 {
		if _, err := first.Step(id); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Update(func(tx bot.Tx) error { _, err := tx.Unsubscribe("YOGA", phones[20]); return err }); err != nil {
		t.Fatal(err)
	}
	ids := fanningIDs(t, db)
	if len(ids) != 1 || ids[0] != id {
		t.Fatalf("unfinished fan-outs %v, want [%d]", ids, id)
	}
	if err := newFanOut(db, bot.NewFixedClock(fanT0), 4).Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	rows := rowsTo(t, db, id)
	for i, p := range phones {
		if want := map[bool]int{true: 0, false: 1}[i == 20]; rows[p] != want {
			t.Errorf("%s has %d rows, want %d", p, rows[p], want)
		}
	}
	if ids := fanningIDs(t, db); len(ids) != 0 {
		t.Errorf("fan-outs left unfinished: %v", ids)
	}
}

func fanningIDs(t *testing.T, db *store.DB) []uint64 {
	t.Helper()
	var ids []uint64
	err := db.View(func(tx bot.Tx) error {
		var err error
		ids, err = tx.Fanning()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// The dispatcher sends rows while the fan-out still adds them; the report
// waits for the fan-out to finish and everything to settle, and comes once.
func TestReportWaitsForTheFanOut(t *testing.T) {
	h := newDispHarness(t)
	h.db.Close()
	db, phones := fanList(t, 9)
	h.db = db
	id := startAnnouncement(t, db, "hi")
	f := newFanOut(db, h.clock, 4)
	if _, err := f.Step(id); err != nil {
		t.Fatal(err)
	}
	h.drain(h.dispatcher(0)) // the first 4 settle while 5 are still to add
	a := announcement(t, db, id)
	if a.Settled != 4 || !a.DoneAt.IsZero() || a.Reported {
		t.Fatalf("after the first chunk settled: %+v; want 4 settled, not done", a)
	}
	if err := f.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.drain(h.dispatcher(0))
	a = announcement(t, db, id)
	if a.Settled != len(phones) || a.Total != len(phones) || a.DoneAt.IsZero() || !a.Reported {
		t.Errorf("after everything: %+v", a)
	}
	if reports := rowsTo(t, db, 0)[fanClient]; reports != 1 {
		t.Errorf("%d reports to the client, want 1", reports)
	}
}

// The Due hook sets each recipient's NextAt (a send window plugs in here).
func TestFanOutDueHook(t *testing.T) {
	db, _ := fanList(t, 3)
	startAnnouncement(t, db, "hi")
	f := newFanOut(db, bot.NewFixedClock(fanT0), 0)
	later := fanT0.Add(9 * time.Hour)
	f.Due = func(_ *bot.Announcement, r *bot.Recipient, now time.Time) time.Time {
		if r.Conv.Phone == "+15553000001" {
			return later
		}
		return now
	}
	if err := f.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	db.View(func(tx bot.Tx) error {
		for i := uint64(1); i <= 3; i++ {
			m, _ := tx.OutMessage(i)
			want := fanT0
			if m.To == "+15553000001" {
				want = later
			}
			if !m.NextAt.Equal(want) {
				t.Errorf("%s due %v, want %v", m.To, m.NextAt, want)
			}
		}
		return nil
	})
}

// BenchmarkFanOut measures rows added per second by the fan-out worker on
// a real bbolt file (fsync included): 50,000 subscribers per iteration.
func BenchmarkFanOut(b *testing.B) {
	const n = 50_000
	b.StopTimer()
	for range b.N {
		db, _ := fanListB(b, n)
		id := startAnnouncementB(b, db)
		f := newFanOut(db, bot.NewFixedClock(fanT0), 0)
		b.StartTimer()
		for done := false; !done; {
			var err error
			if done, err = f.Step(id); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		db.Close()
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(0, "ns/op")
}

// busy is a store whose write transactions are told that other writes
// wait for them (as inbound turns queued for bbolt's group commit are).
type busy struct{ *store.DB }

type busyTx struct{ bot.Tx }

func (busyTx) Waiting() bool { return true }

func (b busy) Batch(fn func(bot.Tx) error) error {
	return b.DB.Batch(func(tx bot.Tx) error { return fn(busyTx{tx}) })
}

func (b busy) BulkBatch(fn func(bot.Tx) error) error {
	return b.DB.BulkBatch(func(tx bot.Tx) error { return fn(busyTx{tx}) })
}

// The work a waiting turn sits behind is the chunk's whole work (reading,
// composing and queueing), not its reading alone: with composing at 100 µs
// a recipient and a tenth of the budget at 5 ms, a chunk ends after its
// first step of 100 (reading alone, 5 ms covered several hundred entries
// and composed them all after that).
func TestFanOutYieldCountsComposing(t *testing.T) {
	db, _ := fanList(t, 600)
	id := startAnnouncement(t, db, "hi")
	f := newFanOut(db, bot.NewFixedClock(fanT0), 2000)
	compose := f.Compose
	f.Compose = func(a *bot.Announcement, name string, r *bot.Recipient, now time.Time) (string, string, bool) {
		time.Sleep(100 * time.Microsecond)
		return compose(a, name, r, now)
	}
	f.Store, f.Budget = busy{db}, 50*time.Millisecond
	for step := 1; step <= 3; step++ {
		if _, err := f.Step(id); err != nil {
			t.Fatal(err)
		}
		if a := announcement(t, db, id); a.Total != 100*step {
			t.Fatalf("after chunk %d: %d rows, want %d", step, a.Total, 100*step)
		}
	}
}

// While writes wait for it, a chunk ends after one step of 100 entries once
// it did a tenth of its budget (here at once; the waiting turn does not
// wait for the rest) and the next chunk goes on
// from there: everyone once, nobody missed. Without waiters, a chunk covers
// all it planned.
func TestFanOutChunkEndsEarlyForWaitingWrites(t *testing.T) {
	for _, waiting := range []bool{true, false} {
		db, phones := fanList(t, 1000)
		id := startAnnouncement(t, db, "hi")
		f := newFanOut(db, bot.NewFixedClock(fanT0), 1000)
		if waiting {
			f.Store, f.Budget = busy{db}, time.Nanosecond // yield after the first step
		}
		steps := 0
		for done := false; !done; steps++ {
			var err error
			if done, err = f.Step(id); err != nil {
				t.Fatal(err)
			}
			if a := announcement(t, db, id); waiting && !done && a.Total != 100*(steps+1) {
				t.Fatalf("waiting: after step %d, %d rows, want %d", steps+1, a.Total, 100*(steps+1))
			}
		}
		if want := map[bool]int{true: 11, false: 2}[waiting]; steps != want {
			t.Errorf("waiting %v: %d steps for 1,000 entries, want %d", waiting, steps, want)
		}
		rows := rowsTo(t, db, id)
		for _, p := range phones {
			if rows[p] != 1 {
				t.Errorf("waiting %v: %s has %d rows, want 1", waiting, p, rows[p])
			}
		}
	}
}
