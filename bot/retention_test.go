package bot_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"nudges/bot"
	"nudges/flows"
	"nudges/locales"
	"nudges/store"
)

// Retention on an injected clock: an announcement complete for less than
// the keep time keeps its rows; after it, the rows, their log lines and
// their sid index go, the counts stay, a late callback for a folded sid
// changes nothing, and the sid guards go after 90 days.
func TestRetentionFoldsRowsAfterTheKeepTime(t *testing.T) {
	h := newDispHarness(t)
	h.db.Close()
	db, phones := fanList(t, 7)
	h.db = db
	id := startAnnouncement(t, db, "hi")
	if err := newFanOut(db, h.clock, 3).Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.drain(h.dispatcher(0))
	a := announcement(t, db, id)
	if a.DoneAt.IsZero() || a.Counts[bot.StatusSent] != len(phones) {
		t.Fatalf("announcement not complete: %+v", a)
	}
	sid := sidOf(t, db, phones[0])
	keep := 48 * time.Hour
	r := bot.Retention{Store: db, Keep: keep, Chunk: 4}
	if n, err := r.Fold(context.Background(), a.DoneAt.Add(keep-time.Minute)); err != nil || n != 0 {
		t.Fatalf("folded %d before the keep time (%v)", n, err)
	}
	if rows := rowsTo(t, db, id); len(rows) != len(phones) {
		t.Fatalf("rows before the keep time: %d", len(rows))
	}
	later := a.DoneAt.Add(keep + time.Minute)
	if n, err := r.Fold(context.Background(), later); err != nil || n != 1 {
		t.Fatalf("folded %d after the keep time (%v), want 1", n, err)
	}
	if rows := rowsTo(t, db, id); len(rows) != 0 {
		t.Errorf("rows left after folding: %v", rows)
	}
	folded := announcement(t, db, id)
	if !folded.Folded || folded.Counts[bot.StatusSent] != len(phones) || folded.Total != len(phones) || !folded.Reported {
		t.Errorf("folded announcement lost its counts: %+v", folded)
	}
	db.Read(func(tx *store.Tx) error {
		log, _ := tx.LogOf(phones[0], 10)
		for _, e := range log {
			if e.Dir == bot.DirOut {
				t.Errorf("log line of a folded row left: %+v", e)
			}
		}
		if m, _ := tx.MessageBySID(sid); m != nil {
			t.Errorf("sid %s still finds a row: %+v", sid, m)
		}
		return nil
	})
	late := &bot.Lifecycle{Store: db, Clock: bot.NewFixedClock(later.Add(24 * time.Hour))}
	if err := late.ApplyStatus(sid, bot.StatusDelivered, 0); err != nil {
		t.Fatal(err)
	}
	db.Read(func(tx *store.Tx) error {
		if e, _ := tx.EarlyStatus(sid); e != nil {
			t.Errorf("a late callback for a folded sid was kept as early: %+v", e)
		}
		return nil
	})
	if retired := retiredSID(t, db, sid, later); !retired {
		t.Error("a folded row's sid is not guarded")
	}
	if _, err := db.Prune(later.Add(store.SIDGuardKeep + 48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if retiredSID(t, db, sid, later) {
		t.Error("the sid guard outlived its 90 days")
	}
	if n, err := r.Fold(context.Background(), later.Add(time.Hour)); err != nil || n != 0 {
		t.Errorf("folded again: %d %v", n, err)
	}
}

func sidOf(t *testing.T, db *store.DB, p bot.Phone) string {
	t.Helper()
	var sid string
	db.Read(func(tx *store.Tx) error {
		for i := uint64(1); ; i++ {
			m, err := tx.OutMessage(i)
			if err != nil || m == nil {
				return err
			}
			if m.To == p && m.SID != "" {
				sid = m.SID
			}
		}
	})
	if sid == "" {
		t.Fatalf("no sid for %s", p)
	}
	return sid
}

func retiredSID(t *testing.T, db *store.DB, sid string, now time.Time) bool {
	t.Helper()
	var ok bool
	db.Read(func(tx *store.Tx) error {
		var err error
		ok, err = tx.RetiredSID(sid, now)
		return err
	})
	return ok
}

// BenchmarkBytesPerRecipientAfterRetention: what one broadcast to 20,000
// leaves in the (compacted) file once retention folded it, per recipient,
// without other traffic. What stays: the subscription's opt-out-line time
// and the sid's 90-day retry guard.
func BenchmarkBytesPerRecipientAfterRetention(b *testing.B) {
	const n = 20_000
	var per float64
	for range b.N {
		db, _ := fanListB(b, n)
		before := compacted(b, db)
		id := startAnnouncementB(b, db)
		f := newFanOut(db, bot.NewFixedClock(fanT0), 0)
		f.Compose = flows.Composer(locales.MustLoad()) // the real bodies, opt-out line noted
		if err := f.Drain(context.Background()); err != nil {
			b.Fatal(err)
		}
		settleAll(b, db, fanT0)
		r := bot.Retention{Store: db}
		if n, err := r.Fold(context.Background(), fanT0.Add(time.Second)); err != nil || n != 1 {
			b.Fatalf("folded %d: %v", n, err)
		}
		if a := announcement(b, db, id); !a.Folded {
			b.Fatalf("not folded: %+v", a)
		}
		per = float64(compacted(b, db)-before) / n
		db.Close()
	}
	b.ReportMetric(per, "bytes/recipient")
}

// settleAll claims and records every due message as sent, with a sid.
func settleAll(b testing.TB, db *store.DB, now time.Time) {
	outbox := &bot.Lifecycle{Store: db}
	for {
		msgs, _, err := outbox.Claim(now, 4096, nil)
		if err != nil {
			b.Fatal(err)
		}
		if len(msgs) == 0 {
			return
		}
		outs := make([]bot.Outcome, len(msgs))
		for i, m := range msgs {
			outs[i] = bot.Outcome{ID: m.ID, Status: bot.StatusSent, SID: fmt.Sprintf("SM%032x", m.ID), Tries: 1}
		}
		if err := outbox.Record(now, outs); err != nil {
			b.Fatal(err)
		}
	}
}

// compacted is the size of a compacted copy of db: its live data.
func compacted(b testing.TB, db *store.DB) int64 {
	path := filepath.Join(b.TempDir(), "copy.db")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := db.Backup(f); err != nil {
		b.Fatal(err)
	}
	f.Close()
	src, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	dst, err := bolt.Open(path+".c", 0o600, nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := bolt.Compact(dst, src, 64<<20); err != nil {
		b.Fatal(err)
	}
	defer dst.Close()
	var size int64
	dst.View(func(tx *bolt.Tx) error { size = tx.Size(); return nil }) // pages in use, not the file's preallocation
	return size
}
