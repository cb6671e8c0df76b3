package bot_test

import (
	"context"
	"errors"
	"testing"

	"nudges/bot"
)

// HALT mid-fan-out: no more rows are added, queued rows settle as halted,
// rows in flight finish, and the announcement completes without the
// usual report (the HALT reply is the report).
func TestHaltDropsUnsentRowsAndStopsTheFanOut(t *testing.T) {
	h := newDispHarness(t)
	h.db.Close()
	db, _ := fanList(t, 10)
	h.db = db
	id := startAnnouncement(t, db, "hi")
	f := newFanOut(db, h.clock, 4)
	if _, err := f.Step(id); err != nil { // 4 rows of 10
		t.Fatal(err)
	}
	out := h.outbox()
	claimed, _, err := out.Claim(h.clock.Now(), 2, nil)
	if err != nil || len(claimed) != 2 {
		t.Fatalf("claimed %d: %v", len(claimed), err)
	}
	a, dropped, err := out.Halt(id, h.clock.Now())
	if err != nil || dropped != 2 {
		t.Fatalf("Halt dropped %d (%v), want the 2 queued", dropped, err)
	}
	if a.Fanning || !a.Halted || a.Counts[bot.StatusHalted] != 2 {
		t.Errorf("after Halt: %+v", a)
	}
	if err := f.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if rows := rowsTo(t, db, id); len(rows) != 4 {
		t.Errorf("%d rows after HALT, want the 4 added before it", len(rows))
	}
	outs := []bot.Outcome{{ID: claimed[0].ID, Status: bot.StatusSent, SID: "SMh1", Tries: 1}, {ID: claimed[1].ID, Status: bot.StatusSent, SID: "SMh2", Tries: 1}}
	if err := out.Record(h.clock.Now(), outs); err != nil {
		t.Fatal(err)
	}
	a = announcement(t, db, id)
	if a.DoneAt.IsZero() || a.Settled != 4 || a.Counts[bot.StatusSent] != 2 {
		t.Errorf("not complete after the sends in flight: %+v", a)
	}
	if reports := rowsTo(t, db, 0)[fanClient]; reports != 0 {
		t.Errorf("%d completion reports after HALT, want none", reports)
	}
}

// HALT in the client's turn while the fan-out is at 4 of 10 and one row is
// in flight: the reply's counts come from the announcement (3 queued rows
// dropped, 6 never added), the fan-out worker then drops the queued rows
// and adds no more, and the row in flight settles as usual.
func TestStartHaltMidFanOut(t *testing.T) {
	h := newDispHarness(t)
	h.db.Close()
	db, _ := fanList(t, 10)
	h.db = db
	id := startAnnouncement(t, db, "hi")
	err := db.Update(func(tx bot.Tx) error { // the list's size at CONFIRM
		a, err := tx.Announcement(id)
		a.Planned = 10
		return errors.Join(err, tx.PutAnnouncement(a))
	})
	if err != nil {
		t.Fatal(err)
	}
	f := newFanOut(db, h.clock, 4)
	f.Halt = h.outbox().Halt
	if _, err := f.Step(id); err != nil {
		t.Fatal(err)
	}
	claimed, _, err := h.outbox().Claim(h.clock.Now(), 1, nil)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claimed %d: %v", len(claimed), err)
	}
	var r bot.HaltReport
	err = db.Update(func(tx bot.Tx) error {
		a, err := tx.Announcement(id)
		if err != nil {
			return err
		}
		r, err = bot.StartHalt(tx, a, h.clock.Now())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := (bot.HaltReport{Sent: 0, Total: 10, Dropped: 9, InFlight: 1}); r != want {
		t.Errorf("HALT report %+v, want %+v", r, want)
	}
	if err := f.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	a := announcement(t, db, id)
	if a.Fanning || !a.Halted || a.Counts[bot.StatusHalted] != 3 || a.Cut != 6 || a.HaltedCount() != 9 || !a.DoneAt.IsZero() {
		t.Errorf("after the fan-out worker: %+v", a)
	}
	if rows := rowsTo(t, db, id); len(rows) != 4 {
		t.Errorf("%d rows, want the 4 added before HALT", len(rows))
	}
	if err := h.outbox().Record(h.clock.Now(), []bot.Outcome{{ID: claimed[0].ID, Status: bot.StatusSent, SID: "SMh1", Tries: 1}}); err != nil {
		t.Fatal(err)
	}
	if a = announcement(t, db, id); a.DoneAt.IsZero() || a.Counts[bot.StatusSent] != 1 {
		t.Errorf("the row in flight did not settle the announcement: %+v", a)
	}
	if reports := rowsTo(t, db, 0)[fanClient]; reports != 0 {
		t.Errorf("%d reports after HALT, want none (the reply is the report)", reports)
	}
}
