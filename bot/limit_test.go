package bot_test

import (
	"errors"
	"testing"
	"time"

	"nudges/bot"
	"nudges/store"
)

// limited is a store whose transactions may touch only n keys (as etcd's
// max-txn-ops); it counts write transactions.
type limited struct {
	*store.DB
	n       int
	updates int
}

func (l *limited) TxLimit() int { return l.n }
func (l *limited) Update(fn func(bot.Tx) error) error {
	l.updates++
	return l.DB.Update(fn)
}
func (l *limited) Batch(fn func(bot.Tx) error) error     { return l.Update(fn) }
func (l *limited) BulkBatch(fn func(bot.Tx) error) error { return l.Update(fn) }

// On a store with a small transaction limit the fan-out takes smaller
// chunks than it is set to, and still adds one row per phone.
func TestFanOutFitsTheStoreLimit(t *testing.T) {
	db, phones := fanList(t, 10)
	id := startAnnouncement(t, db, "Class at 7")
	f := newFanOut(db, bot.NewFixedClock(fanT0), 0)
	st := &limited{DB: db, n: 12} // 3 entries of 4 keys
	f.Store = st
	for done := false; !done; {
		var err error
		if done, err = f.Step(id); err != nil {
			t.Fatal(err)
		}
	}
	if st.updates != 4 {
		t.Errorf("%d transactions for 10 entries, want 4 of at most 3", st.updates)
	}
	rows := rowsTo(t, db, id)
	for _, p := range phones {
		if rows[p] != 1 {
			t.Errorf("%s has %d rows", p, rows[p])
		}
	}
}

// Record splits the outcomes over transactions the store can take.
func TestRecordFitsTheStoreLimit(t *testing.T) {
	db, phones := fanList(t, 5)
	var ids []uint64
	err := db.Update(func(tx bot.Tx) error {
		for _, p := range phones {
			m := &bot.OutMessage{To: p, Body: "hi", Kind: bot.KindReply, CreatedAt: fanT0}
			if err := tx.Enqueue(m); err != nil {
				return err
			}
			ids = append(ids, m.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	st := &limited{DB: db, n: 24} // 2 claims or 2 outcomes per transaction
	l := &bot.Lifecycle{Store: st, Clock: bot.NewFixedClock(fanT0)}
	msgs, _, err := l.Claim(fanT0.Add(time.Second), 10, nil)
	if err != nil || len(msgs) != 2 {
		t.Fatalf("claim = %d messages, %v; want the 2 that fit", len(msgs), err)
	}
	msgs2, _, _ := l.Claim(fanT0.Add(time.Second), 10, nil)
	msgs = append(msgs, msgs2...)
	var outs []bot.Outcome
	for _, m := range msgs {
		outs = append(outs, bot.Outcome{ID: m.ID, Status: bot.StatusSent, SID: "SM" + string(m.To), Tries: 1})
	}
	st.updates = 0
	if err := l.Record(fanT0.Add(2*time.Second), outs); err != nil {
		t.Fatal(err)
	}
	if st.updates != 2 {
		t.Errorf("%d transactions for 4 outcomes, want 2 of 2", st.updates)
	}
	db.View(func(tx bot.Tx) error {
		for _, m := range msgs {
			if got, _ := tx.OutMessage(m.ID); got.Status != bot.StatusSent {
				t.Errorf("message %d is %q", m.ID, got.Status)
			}
		}
		return nil
	})
}

// conflicting is a store whose first two runs of each Batch roll back, as
// an etcd transaction runs again when what it read changed before its
// commit.
type conflicting struct{ *store.DB }

var errRunAgain = errors.New("run again")

func (c conflicting) Batch(fn func(bot.Tx) error) error {
	for range 2 {
		if err := c.DB.Update(func(tx bot.Tx) error {
			if err := fn(tx); err != nil {
				return err
			}
			return errRunAgain
		}); !errors.Is(err, errRunAgain) {
			return err
		}
	}
	return c.DB.Update(fn)
}

func (c conflicting) BulkBatch(fn func(bot.Tx) error) error { return c.Batch(fn) }

// A chunk that has to run again halves each run (a busy list's joins and
// leaves inside its pages cannot hold a big chunk off for ever), the next
// chunk starts at twice what went through, and everyone still gets one row.
func TestFanOutShrinksWhenRunAgain(t *testing.T) {
	db, phones := fanList(t, 1000)
	id := startAnnouncement(t, db, "hi")
	f := newFanOut(db, bot.NewFixedClock(fanT0), 400)
	f.Store = conflicting{db}
	if _, err := f.Step(id); err != nil {
		t.Fatal(err)
	}
	if a := announcement(t, db, id); a.Total != 100 {
		t.Fatalf("first chunk: %d rows after runs of 400, 200, 100; want 100", a.Total)
	}
	if _, err := f.Step(id); err != nil {
		t.Fatal(err)
	}
	if a := announcement(t, db, id); a.Total != 100+50 {
		t.Fatalf("second chunk: %d rows in all after runs of 200, 100, 50; want 150", a.Total)
	}
	f.Store = db
	for done := false; !done; {
		var err error
		if done, err = f.Step(id); err != nil {
			t.Fatal(err)
		}
	}
	rows := rowsTo(t, db, id)
	for _, p := range phones {
		if rows[p] != 1 {
			t.Fatalf("%s has %d rows, want 1", p, rows[p])
		}
	}
}
