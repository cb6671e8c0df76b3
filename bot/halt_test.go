package bot_test

import (
	"context"
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
	claimed, _, err := out.Claim(h.clock.Now(), 2)
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
