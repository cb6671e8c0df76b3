package store

import (
	"slices"
	"testing"
	"time"

	"nudges/bot"
)

// earlyCount is how many callbacks are kept for sids not yet recorded.
func earlyCount(t *testing.T, db *DB) int {
	t.Helper()
	n := 0
	err := db.Read(func(tx *Tx) error {
		if b := tx.b(bEarlyStatus); b != nil {
			return b.ForEach(func(_, _ []byte) error { n++; return nil })
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func earlyApply(t *testing.T, db *DB, sid string, status bot.MessageStatus, code int) {
	t.Helper()
	if err := dspOutbox(db, nil).ApplyStatus(sid, status, code); err != nil {
		t.Fatalf("ApplyStatus(%s, %s, %d): %v", sid, status, code, err)
	}
}

func TestEarlyStatusAppliedWhenRecorded(t *testing.T) {
	db, _ := openDispatchDB(t)
	delivered := dspPut(t, db, dspA, 0, dspT0, 0)
	undelivered := dspPut(t, db, dspB, 0, dspT0, 0)
	failed := dspPut(t, db, dspA, 0, dspT0, 0)
	plain := dspPut(t, db, dspB, 0, dspT0, 0)
	dspClaim(t, db, dspT0, 10, nil)

	// Callbacks before the dispatcher records the sids.
	earlyApply(t, db, "SMd", bot.StatusSent, 0)
	earlyApply(t, db, "SMd", bot.StatusDelivered, 0)
	earlyApply(t, db, "SMd", bot.StatusSent, 0)            // late regression
	earlyApply(t, db, "SMd", bot.StatusUndelivered, 30003) // terminal already
	earlyApply(t, db, "SMu", bot.StatusUndelivered, 30003)
	earlyApply(t, db, "SMf", bot.StatusFailed, 30008)
	earlyApply(t, db, "SMp", bot.StatusSent, 0) // nothing to keep: Record lands it at sent
	if n := earlyCount(t, db); n != 3 {
		t.Fatalf("%d early statuses kept, want 3", n)
	}
	if m := dspMsg(t, db, delivered); m.Status != bot.StatusSending {
		t.Fatalf("early callback touched an unrecorded message: %+v", m)
	}

	dspRecord(t, db, nil,
		bot.Outcome{ID: delivered, Status: bot.StatusSent, SID: "SMd", Tries: 1},
		bot.Outcome{ID: undelivered, Status: bot.StatusSent, SID: "SMu", Tries: 1},
		bot.Outcome{ID: failed, Status: bot.StatusSent, SID: "SMf", Tries: 1},
		bot.Outcome{ID: plain, Status: bot.StatusSent, SID: "SMp", Tries: 1})

	if m := dspMsg(t, db, delivered); m.Status != bot.StatusDelivered || m.ErrorCode != 0 || m.SID != "SMd" {
		t.Errorf("delivered: %+v", m)
	}
	if m := dspMsg(t, db, undelivered); m.Status != bot.StatusUndelivered || m.ErrorCode != 30003 {
		t.Errorf("undelivered: %+v", m)
	}
	if m := dspMsg(t, db, failed); m.Status != bot.StatusFailed || m.ErrorCode != 30008 {
		t.Errorf("failed: %+v", m)
	}
	if m := dspMsg(t, db, plain); m.Status != bot.StatusSent {
		t.Errorf("plain: %+v", m)
	}
	if n := earlyCount(t, db); n != 0 {
		t.Errorf("%d early statuses left after their messages were recorded", n)
	}
	// Ordinary callbacks after the record still apply, and still never regress.
	earlyApply(t, db, "SMp", bot.StatusDelivered, 0)
	earlyApply(t, db, "SMd", bot.StatusFailed, 30008)
	if m := dspMsg(t, db, plain); m.Status != bot.StatusDelivered {
		t.Errorf("callback after record: %+v", m)
	}
	if m := dspMsg(t, db, delivered); m.Status != bot.StatusDelivered {
		t.Errorf("terminal status regressed: %+v", m)
	}
	if n := earlyCount(t, db); n != 0 {
		t.Errorf("callback for a known sid kept as early: %d", n)
	}
}

func TestEarlyStatusOnlyForSentOutcome(t *testing.T) {
	db, _ := openDispatchDB(t)
	id := dspPut(t, db, dspA, 0, dspT0, 0)
	dspClaim(t, db, dspT0, 1, nil)
	earlyApply(t, db, "SMr", bot.StatusDelivered, 0)
	// A retry has no sid: the kept status waits for the send that has one.
	dspRecord(t, db, nil, bot.Outcome{ID: id, Status: bot.StatusQueued, Tries: 1, NextAt: dspT0})
	if m := dspMsg(t, db, id); m.Status != bot.StatusQueued {
		t.Fatalf("retry: %+v", m)
	}
	if n := earlyCount(t, db); n != 1 {
		t.Fatalf("early status consumed by a retry: %d left", n)
	}
	dspClaim(t, db, dspT0, 1, nil)
	dspRecord(t, db, nil, bot.Outcome{ID: id, Status: bot.StatusSent, SID: "SMr", Tries: 2})
	if m := dspMsg(t, db, id); m.Status != bot.StatusDelivered || m.Tries != 2 {
		t.Errorf("after send: %+v", m)
	}
}

func TestEarlyStatusSettlesAnnouncement(t *testing.T) {
	db, _ := openDispatchDB(t)
	a := dspAnnounce(t, db, 3)
	dspC := bot.MustPhone("+15550003333")
	ids := []uint64{dspPut(t, db, dspA, 1, dspT0, a.ID), dspPut(t, db, dspB, 1, dspT0, a.ID), dspPut(t, db, dspC, 1, dspT0, a.ID)}
	rep := &dspReporter{}
	dspClaim(t, db, dspT0, 10, rep.report)
	earlyApply(t, db, "SMa", bot.StatusDelivered, 0)
	earlyApply(t, db, "SMb", bot.StatusUndelivered, 30003)
	dspRecord(t, db, rep.report,
		bot.Outcome{ID: ids[0], Status: bot.StatusSent, SID: "SMa", Tries: 1},
		bot.Outcome{ID: ids[1], Status: bot.StatusSent, SID: "SMb", Tries: 1},
		bot.Outcome{ID: ids[2], Status: bot.StatusSent, SID: "SMc", Tries: 1})
	want := map[bot.MessageStatus]int{bot.StatusQueued: 0, bot.StatusSent: 1, bot.StatusDelivered: 1, bot.StatusUndelivered: 1}
	if len(rep.calls) != 1 {
		t.Fatalf("reported %d times, want once", len(rep.calls))
	}
	if got := rep.calls[0]; got.Settled != 3 || !dspCountsEqual(got.Counts, want) {
		t.Fatalf("reported %+v, want settled 3 and counts %v", got, want)
	}
	earlyApply(t, db, "SMc", bot.StatusDelivered, 0)
	var got *bot.Announcement
	if err := db.Read(func(tx *Tx) (err error) { got, err = tx.Announcement(a.ID); return err }); err != nil {
		t.Fatal(err)
	}
	want[bot.StatusSent], want[bot.StatusDelivered] = 0, 2
	if got.Settled != 3 || !dspCountsEqual(got.Counts, want) || !got.DoneAt.Equal(dspT0) || len(rep.calls) != 1 {
		t.Errorf("after the last callback: %+v (reports %d), want counts %v", got, len(rep.calls), want)
	}
}

func TestEarlyCarrierOptOut(t *testing.T) {
	db, _ := openDispatchDB(t)
	err := db.Write(func(tx *Tx) error {
		if _, err := tx.Subscribe("YOGA", dspA, dspT0); err != nil {
			return err
		}
		return tx.PutConversation(&bot.Conversation{Phone: dspA, Locale: "en", FirstSeen: dspT0})
	})
	if err != nil {
		t.Fatal(err)
	}
	id := dspPut(t, db, dspA, 0, dspT0, 0)
	dspClaim(t, db, dspT0, 1, nil)
	later := dspPut(t, db, dspA, 0, dspT0, 0)
	earlyApply(t, db, "SMo", bot.StatusFailed, bot.CodeOptedOut)
	dspRecord(t, db, nil, bot.Outcome{ID: id, Status: bot.StatusSent, SID: "SMo", Tries: 1})

	if m := dspMsg(t, db, id); m.Status != bot.StatusFailed || m.ErrorCode != bot.CodeOptedOut {
		t.Errorf("message: %+v", m)
	}
	var conv *bot.Conversation
	var subs []bot.Subscription
	err = db.Read(func(tx *Tx) (err error) {
		if conv, err = tx.Conversation(dspA); err != nil {
			return err
		}
		subs, err = tx.SubscriptionsOf(dspA)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !conv.OptedOut || !conv.OptedOutAt.Equal(dspT0) || len(subs) != 0 || !slices.Equal(conv.OptOutLists, []string{"YOGA"}) {
		t.Fatalf("after an early 21610: %+v, lists %v", conv, subs)
	}
	if ids, _ := dspClaim(t, db, dspT0, 10, nil); len(ids) != 0 {
		t.Fatalf("claimed %v for an opted-out phone", ids)
	}
	if m := dspMsg(t, db, later); m.Status != bot.StatusSkipped {
		t.Errorf("later message is %s, want skipped", m.Status)
	}
}

func TestPruneEarlyStatus(t *testing.T) {
	db, _ := openDispatchDB(t)
	now := time.Now().UTC()
	if err := (&bot.Lifecycle{Store: db, Clock: bot.NewFixedClock(now.Add(-EarlyStatusKeep - time.Minute))}).ApplyStatus("SMold", bot.StatusDelivered, 0); err != nil {
		t.Fatal(err)
	}
	if err := (&bot.Lifecycle{Store: db, Clock: bot.NewFixedClock(now.Add(-time.Hour))}).ApplyStatus("SMnew", bot.StatusFailed, 30008); err != nil {
		t.Fatal(err)
	}
	if n, err := db.PruneEarlyStatus(now); err != nil || n != 1 {
		t.Fatalf("PruneEarlyStatus = %d, %v; want 1", n, err)
	}
	if n := earlyCount(t, db); n != 1 {
		t.Fatalf("%d kept after pruning, want the recent one", n)
	}
	// The pruned sid is forgotten; the recent one still applies when recorded.
	old, recent := dspPut(t, db, dspA, 0, dspT0, 0), dspPut(t, db, dspB, 0, dspT0, 0)
	dspClaim(t, db, dspT0, 10, nil)
	dspRecord(t, db, nil,
		bot.Outcome{ID: old, Status: bot.StatusSent, SID: "SMold", Tries: 1},
		bot.Outcome{ID: recent, Status: bot.StatusSent, SID: "SMnew", Tries: 1})
	if m := dspMsg(t, db, old); m.Status != bot.StatusSent {
		t.Errorf("pruned status applied: %+v", m)
	}
	if m := dspMsg(t, db, recent); m.Status != bot.StatusFailed || m.ErrorCode != 30008 {
		t.Errorf("kept status not applied: %+v", m)
	}
	if n, err := db.PruneEarlyStatus(now.Add(2 * EarlyStatusKeep)); err != nil || n != 0 {
		t.Errorf("PruneEarlyStatus on an empty bucket = %d, %v", n, err)
	}

	// Nothing was ever kept: the bucket may not exist yet.
	db2, _ := openDispatchDB(t)
	if n, err := db2.PruneEarlyStatus(now); err != nil || n != 0 {
		t.Errorf("PruneEarlyStatus with no bucket = %d, %v", n, err)
	}
}
