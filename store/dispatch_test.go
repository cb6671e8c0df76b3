package store

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"nudges/bot"
	"nudges/store/kv"
)

var (
	dspT0     = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	dspA      = bot.MustPhone("+15550001111")
	dspB      = bot.MustPhone("+15550002222")
	dspClient = bot.MustPhone("+15550009999")
)

func openDispatchDB(t *testing.T) (*DB, string) {
	t.Helper()
	return openTestPath(t)
}

// put queues a message to p due at due and returns its id. With an
// announcement, p is on its list, as the fan-out finds it.
func dspPut(t *testing.T, db *DB, p bot.Phone, prio bot.Priority, due time.Time, ann uint64) uint64 {
	t.Helper()
	m := &bot.OutMessage{To: p, Body: "hi", Kind: bot.KindReply, Priority: prio, NextAt: due, AnnouncementID: ann, CreatedAt: dspT0}
	err := db.Write(func(tx *Tx) error {
		if a, err := tx.Announcement(ann); err != nil {
			return err
		} else if a != nil {
			if _, err := tx.Subscribe(a.Keyword, p, dspT0); err != nil {
				return err
			}
		}
		return tx.Enqueue(m)
	})
	if err != nil {
		t.Fatal(err)
	}
	return m.ID
}

// dspAnnounce stores YOGA's announcement to total subscribers, all queued,
// as CONFIRM leaves it.
func dspAnnounce(t *testing.T, db *DB, total int) *bot.Announcement {
	t.Helper()
	a := &bot.Announcement{Client: dspClient, Keyword: "YOGA", Text: "Class at 6", Total: total,
		Counts: map[bot.MessageStatus]int{bot.StatusQueued: total}, CreatedAt: dspT0}
	if err := db.Write(func(tx *Tx) error { return tx.PutAnnouncement(a) }); err != nil {
		t.Fatal(err)
	}
	return a
}

func dspMsg(t *testing.T, db *DB, id uint64) bot.OutMessage {
	t.Helper()
	var m *bot.OutMessage
	if err := db.Read(func(tx *Tx) (err error) { m, err = tx.OutMessage(id); return err }); err != nil || m == nil {
		t.Fatalf("message %d: %v %v", id, m, err)
	}
	return *m
}

// dspOutbox is the outbox service on db, reporting through report, its
// clock at dspT0.
func dspOutbox(db *DB, report bot.Reporter) *bot.Lifecycle {
	return &bot.Lifecycle{Store: db, Report: report, Clock: bot.NewFixedClock(dspT0)}
}

func dspClaim(t *testing.T, db *DB, now time.Time, n int, report bot.Reporter) ([]uint64, time.Time) {
	t.Helper()
	msgs, next, err := dspOutbox(db, report).Claim(now, n, nil)
	if err != nil {
		t.Fatal(err)
	}
	var ids []uint64
	for _, m := range msgs {
		if m.Status != bot.StatusSending {
			t.Errorf("claimed message %d is %s", m.ID, m.Status)
		}
		ids = append(ids, m.ID)
	}
	return ids, next
}

func dspRecord(t *testing.T, db *DB, report bot.Reporter, outs ...bot.Outcome) {
	t.Helper()
	if err := dspOutbox(db, report).Record(dspT0, outs); err != nil {
		t.Fatal(err)
	}
}

func TestClaimByPriorityThenAgeAndOnlyDue(t *testing.T) {
	db, _ := openDispatchDB(t)
	b1 := dspPut(t, db, dspA, bot.PriorityBulk, dspT0, 0)
	b2 := dspPut(t, db, dspB, bot.PriorityBulk, dspT0, 0)
	later := dspPut(t, db, dspA, bot.PriorityHigh, dspT0.Add(time.Minute), 0)
	h := dspPut(t, db, dspB, bot.PriorityHigh, dspT0.Add(-time.Second), 0)

	ids, next := dspClaim(t, db, dspT0, 2, nil)
	if !slices.Equal(ids, []uint64{h, b1}) || !next.Equal(dspT0) {
		t.Fatalf("first claim %v next %v, want [%d %d] and now", ids, next, h, b1)
	}
	ids, next = dspClaim(t, db, dspT0, 10, nil)
	if !slices.Equal(ids, []uint64{b2}) || !next.Equal(dspT0.Add(time.Minute)) {
		t.Fatalf("second claim %v next %v, want [%d] and the later one's due time", ids, next, b2)
	}
	if ids, _ = dspClaim(t, db, dspT0, 10, nil); len(ids) != 0 {
		t.Fatalf("claimed %v again", ids)
	}
	ids, next = dspClaim(t, db, dspT0.Add(time.Minute), 10, nil)
	if !slices.Equal(ids, []uint64{later}) || !next.IsZero() {
		t.Fatalf("claim when due: %v next %v", ids, next)
	}
}

func TestClaimSkipsOptedOutPhones(t *testing.T) {
	db, _ := openDispatchDB(t)
	stopped := &bot.Conversation{Phone: dspA, OptedOut: true, OptedOutAt: dspT0}
	if err := db.Write(func(tx *Tx) error { return tx.PutConversation(stopped) }); err != nil {
		t.Fatal(err)
	}
	skip := dspPut(t, db, dspA, bot.PriorityHigh, dspT0, 0)
	keep := dspPut(t, db, dspB, bot.PriorityHigh, dspT0, 0)
	if ids, _ := dspClaim(t, db, dspT0, 10, nil); !slices.Equal(ids, []uint64{keep}) {
		t.Fatalf("claimed %v, want only %d", ids, keep)
	}
	if m := dspMsg(t, db, skip); m.Status != bot.StatusSkipped {
		t.Errorf("message to opted-out phone is %s, want skipped", m.Status)
	}
}

func TestRecordOutcomes(t *testing.T) {
	db, _ := openDispatchDB(t)
	sent, retry, failed, unknown := dspPut(t, db, dspA, 0, dspT0, 0), dspPut(t, db, dspA, 0, dspT0, 0),
		dspPut(t, db, dspB, 0, dspT0, 0), dspPut(t, db, dspB, 0, dspT0, 0)
	dspClaim(t, db, dspT0, 10, nil)
	dspRecord(t, db, nil,
		bot.Outcome{ID: sent, Status: bot.StatusSent, SID: "SM1", Tries: 1},
		bot.Outcome{ID: retry, Status: bot.StatusQueued, Tries: 1, NextAt: dspT0.Add(2 * time.Second), Code: 20429},
		bot.Outcome{ID: failed, Status: bot.StatusFailed, Tries: 1, Code: 21211, Error: "bad number"},
		bot.Outcome{ID: unknown, Status: bot.StatusUnknown, Tries: 1, Error: "timeout"})

	if m := dspMsg(t, db, sent); m.Status != bot.StatusSent || m.SID != "SM1" {
		t.Errorf("sent: %+v", m)
	}
	if m := dspMsg(t, db, failed); m.Status != bot.StatusFailed || m.ErrorCode != 21211 || m.Error != "bad number" {
		t.Errorf("failed: %+v", m)
	}
	if m := dspMsg(t, db, unknown); m.Status != bot.StatusUnknown {
		t.Errorf("unknown: %+v", m)
	}
	if ids, next := dspClaim(t, db, dspT0.Add(time.Second), 10, nil); len(ids) != 0 || !next.Equal(dspT0.Add(2*time.Second)) {
		t.Errorf("retry claimed early: %v next %v", ids, next)
	}
	if ids, _ := dspClaim(t, db, dspT0.Add(2*time.Second), 10, nil); !slices.Equal(ids, []uint64{retry}) {
		t.Errorf("retry not claimed when due: %v", ids)
	}
	if m := dspMsg(t, db, retry); m.Tries != 1 || m.Status != bot.StatusSending {
		t.Errorf("retry: %+v", m)
	}
	// A second record of the same outcome (not sending any more) changes nothing.
	dspRecord(t, db, nil, bot.Outcome{ID: sent, Status: bot.StatusFailed, Tries: 2})
	if m := dspMsg(t, db, sent); m.Status != bot.StatusSent {
		t.Errorf("recorded twice: %+v", m)
	}
}

func TestCarrierOptOutLeavesListsAndSkipsLaterMessages(t *testing.T) {
	db, _ := openDispatchDB(t)
	err := db.Write(func(tx *Tx) error {
		for _, kw := range []string{"YOGA", "BAKERY"} {
			if _, err := tx.Subscribe(kw, dspA, dspT0); err != nil {
				return err
			}
		}
		return tx.PutConversation(&bot.Conversation{Phone: dspA, Locale: "en", FirstSeen: dspT0, Flow: "leave", State: "choosing"})
	})
	if err != nil {
		t.Fatal(err)
	}
	first := dspPut(t, db, dspA, 0, dspT0, 0)
	dspClaim(t, db, dspT0, 10, nil)
	later := dspPut(t, db, dspA, 0, dspT0, 0)
	dspRecord(t, db, nil, bot.Outcome{ID: first, Status: bot.StatusFailed, Tries: 1, Code: bot.CodeOptedOut})

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
	slices.Sort(conv.OptOutLists)
	if !conv.OptedOut || !conv.OptedOutAt.Equal(dspT0) || conv.Flow != "" || len(subs) != 0 ||
		!slices.Equal(conv.OptOutLists, []string{"BAKERY", "YOGA"}) {
		t.Fatalf("after 21610: %+v, lists %v", conv, subs)
	}
	if ids, _ := dspClaim(t, db, dspT0, 10, nil); len(ids) != 0 {
		t.Fatalf("claimed %v for an opted-out phone", ids)
	}
	db.Read(func(tx *Tx) error {
		recs, err := tx.ConsentPage("YOGA", 0, 10)
		if err != nil || len(recs) != 1 || recs[0].Kind != bot.ConsentCarrierOptOut || recs[0].Phone != dspA {
			t.Errorf("consent ledger of YOGA after 21610: %+v %v; want one carrier opt-out", recs, err)
		}
		return nil
	})
	if m := dspMsg(t, db, later); m.Status != bot.StatusSkipped {
		t.Errorf("later message is %s, want skipped", m.Status)
	}
}

func TestRecoverAfterRestartMarksUnknown(t *testing.T) {
	db, path := openDispatchDB(t)
	inFlight := dspPut(t, db, dspA, 0, dspT0, 0)
	dspClaim(t, db, dspT0, 10, nil)
	waiting := dspPut(t, db, dspB, 0, dspT0, 0)
	db.Close()

	db, err := openPath(t, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	n, err := dspOutbox(db, nil).Recover(dspT0)
	if err != nil || n != 1 {
		t.Fatalf("Recover = %d, %v; want 1", n, err)
	}
	if m := dspMsg(t, db, inFlight); m.Status != bot.StatusUnknown {
		t.Errorf("in-flight message is %s, want unknown", m.Status)
	}
	if ids, _ := dspClaim(t, db, dspT0, 10, nil); !slices.Equal(ids, []uint64{waiting}) {
		t.Errorf("claimed %v after recovery, want only %d", ids, waiting)
	}
	if n, _ := dspOutbox(db, nil).Recover(dspT0); n != 1 {
		t.Errorf("second Recover found %d, want the one claimed since", n)
	}
	if n, _ := dspOutbox(db, nil).Recover(dspT0); n != 0 {
		t.Errorf("third Recover found %d, want 0", n)
	}
}

// dspReporter is a Reporter that counts its calls and queues nothing.
type dspReporter struct{ calls []bot.Announcement }

func (c *dspReporter) report(_ bot.ReportTx, _ time.Time, a *bot.Announcement) error {
	c.calls = append(c.calls, *a)
	return nil
}

func TestAnnouncementSettlesAndReportsOnce(t *testing.T) {
	db, _ := openDispatchDB(t)
	a := dspAnnounce(t, db, 4)
	dspC, dspD := bot.MustPhone("+15550003333"), bot.MustPhone("+15550004444")
	if err := db.Write(func(tx *Tx) error { return tx.PutConversation(&bot.Conversation{Phone: dspD, OptedOut: true}) }); err != nil {
		t.Fatal(err)
	}
	ids := []uint64{dspPut(t, db, dspA, 1, dspT0, a.ID), dspPut(t, db, dspB, 1, dspT0, a.ID), dspPut(t, db, dspC, 1, dspT0, a.ID), dspPut(t, db, dspD, 1, dspT0, a.ID)}
	rep := &dspReporter{}
	dspClaim(t, db, dspT0, 10, rep.report) // dspD skipped
	dspRecord(t, db, rep.report,
		bot.Outcome{ID: ids[0], Status: bot.StatusSent, SID: "SMa", Tries: 1},
		bot.Outcome{ID: ids[1], Status: bot.StatusQueued, Tries: 1, NextAt: dspT0})
	if len(rep.calls) != 0 {
		t.Fatalf("reported before every message settled")
	}
	dspClaim(t, db, dspT0, 10, rep.report)
	dspRecord(t, db, rep.report,
		bot.Outcome{ID: ids[1], Status: bot.StatusSent, SID: "SMb", Tries: 2},
		bot.Outcome{ID: ids[2], Status: bot.StatusFailed, Tries: 1, Code: 30006})
	if len(rep.calls) != 1 {
		t.Fatalf("reported %d times, want once", len(rep.calls))
	}
	want := map[bot.MessageStatus]int{bot.StatusQueued: 0, bot.StatusSent: 2, bot.StatusFailed: 1, bot.StatusSkipped: 1}
	if got := rep.calls[0]; got.Settled != 4 || !got.Reported || !dspCountsEqual(got.Counts, want) {
		t.Fatalf("reported %+v, want counts %v", got, want)
	}
	if err := dspOutbox(db, nil).ApplyStatus("SMa", bot.StatusDelivered, 0); err != nil {
		t.Fatal(err)
	}
	var got *bot.Announcement
	if err := db.Read(func(tx *Tx) (err error) { got, err = tx.Announcement(a.ID); return err }); err != nil {
		t.Fatal(err)
	}
	want[bot.StatusSent], want[bot.StatusDelivered] = 1, 1
	if !dspCountsEqual(got.Counts, want) || got.Settled != 4 || !got.DoneAt.Equal(dspT0) || len(rep.calls) != 1 {
		t.Errorf("after delivered: %+v (reports %d)", got, len(rep.calls))
	}
}

func dspCountsEqual(a, b map[bot.MessageStatus]int) bool {
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	for k, v := range b {
		if a[k] != v {
			return false
		}
	}
	return true
}

func TestApplyStatusTransitions(t *testing.T) {
	steps := []struct {
		status bot.MessageStatus
		code   int
		want   bot.MessageStatus
	}{
		{"queued", 0, bot.StatusSent},       // Twilio's own queued: not tracked
		{bot.StatusSent, 0, bot.StatusSent}, // repeated
		{bot.StatusDelivered, 0, bot.StatusDelivered},
		{bot.StatusSent, 0, bot.StatusDelivered},            // late regression ignored
		{bot.StatusUndelivered, 30003, bot.StatusDelivered}, // terminal already
	}
	db, _ := openDispatchDB(t)
	id := dspPut(t, db, dspA, 0, dspT0, 0)
	dspClaim(t, db, dspT0, 1, nil)
	dspRecord(t, db, nil, bot.Outcome{ID: id, Status: bot.StatusSent, SID: "SMx", Tries: 1})
	for i, s := range steps {
		if err := dspOutbox(db, nil).ApplyStatus("SMx", s.status, s.code); err != nil {
			t.Fatal(err)
		}
		if m := dspMsg(t, db, id); m.Status != s.want {
			t.Errorf("step %d: %s → message %s, want %s", i, s.status, m.Status, s.want)
		}
	}
	if err := dspOutbox(db, nil).ApplyStatus("SMnope", bot.StatusDelivered, 0); err != nil {
		t.Errorf("unknown sid: %v", err)
	}

	failed := dspPut(t, db, dspB, 0, dspT0, 0)
	dspClaim(t, db, dspT0, 1, nil)
	dspRecord(t, db, nil, bot.Outcome{ID: failed, Status: bot.StatusSent, SID: "SMy", Tries: 1})
	if err := dspOutbox(db, nil).ApplyStatus("SMy", bot.StatusFailed, bot.CodeOptedOut); err != nil {
		t.Fatal(err)
	}
	if m := dspMsg(t, db, failed); m.Status != bot.StatusFailed || m.ErrorCode != bot.CodeOptedOut {
		t.Errorf("failed callback: %+v", m)
	}
	var conv *bot.Conversation
	if err := db.Read(func(tx *Tx) (err error) { conv, err = tx.Conversation(dspB); return err }); err != nil || !conv.OptedOut {
		t.Errorf("21610 in a callback did not opt the phone out: %+v %v", conv, err)
	}
}

// A phone that left the list after CONFIRM queued the announcement is not
// sent it (LEAVE promised no more messages): the row settles as skipped.
// Other messages to phones on no list are sent as ever.
func TestClaimSkipsAnnouncementAfterLeave(t *testing.T) {
	db, _ := openDispatchDB(t)
	a := dspAnnounce(t, db, 2)
	stay, left := dspPut(t, db, dspA, bot.PriorityBulk, dspT0, a.ID), dspPut(t, db, dspB, bot.PriorityBulk, dspT0, a.ID)
	reply := dspPut(t, db, dspB, bot.PriorityHigh, dspT0, 0)
	if err := db.Write(func(tx *Tx) error { _, err := tx.Unsubscribe("YOGA", dspB); return err }); err != nil {
		t.Fatal(err)
	}
	ids, _ := dspClaim(t, db, dspT0, 10, nil)
	if !slices.Contains(ids, stay) || !slices.Contains(ids, reply) || slices.Contains(ids, left) {
		t.Fatalf("claimed %v; want %d and %d, not %d", ids, stay, reply, left)
	}
	if m := dspMsg(t, db, left); m.Status != bot.StatusSkipped || m.Error != "recipient left the list" {
		t.Fatalf("left phone's row: %+v", m)
	}
	var got *bot.Announcement
	if err := db.Read(func(tx *Tx) (err error) { got, err = tx.Announcement(a.ID); return err }); err != nil {
		t.Fatal(err)
	}
	if got.Counts[bot.StatusSkipped] != 1 || got.Settled != 1 {
		t.Fatalf("announcement counts %v settled %d", got.Counts, got.Settled)
	}
}

// A login code is on disk in clear only while its SMS may still be sent:
// the conversation log has it redacted from the start, the outbox row once
// it settles (sent, failed, unknown after a crash).
func TestLoginCodeKeptInClearOnlyUntilSent(t *testing.T) {
	db, _ := openDispatchDB(t)
	body := "Your Nudges console code is 907066. It expires in 10 minutes."
	for _, p := range []bot.Phone{dspA, dspB} {
		err := db.Update(func(tx bot.Tx) error {
			conv, err := tx.Conversation(p)
			if err != nil {
				return err
			}
			return bot.Enqueue(tx, dspT0, conv, "", body, bot.KindOTP, bot.PriorityHigh, 0)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var log []bot.LogEntry
	if err := db.Read(func(tx *Tx) (err error) { log, err = tx.LogOf(dspA, 5); return err }); err != nil {
		t.Fatal(err)
	}
	if len(log) != 1 || strings.Contains(log[0].Body, "907066") || !strings.Contains(log[0].Body, "••••••") {
		t.Fatalf("conversation log: %+v", log)
	}
	ids, _ := dspClaim(t, db, dspT0, 10, nil)
	if len(ids) != 2 {
		t.Fatalf("claimed %v", ids)
	}
	if m := dspMsg(t, db, ids[0]); m.Body != body {
		t.Fatalf("the code left the row before it was sent: %q", m.Body)
	}
	dspRecord(t, db, nil, bot.Outcome{ID: ids[0], Status: bot.StatusSent, SID: "SMotp", Tries: 1})
	if m := dspMsg(t, db, ids[0]); m.Body != "Your Nudges console code is ••••••. It expires in 10 minutes." {
		t.Fatalf("sent row: %q", m.Body)
	}
	if n, err := dspOutbox(db, nil).Recover(dspT0); err != nil || n != 1 { // the other was in flight at a crash
		t.Fatalf("recover: %d %v", n, err)
	}
	if m := dspMsg(t, db, ids[1]); m.Status != bot.StatusUnknown || strings.Contains(m.Body, "907066") {
		t.Fatalf("row in flight at a crash: %+v", m)
	}
}

// A queue written by the earlier key layout (priority, id → due) is
// rewritten at Open and its messages are claimed as before.
func TestOpenMigratesTheOldQueueKeys(t *testing.T) {
	skipOnEtcd(t) // an old bbolt file's layout
	db, path := openDispatchDB(t)
	id := dspPut(t, db, dspA, bot.PriorityHigh, dspT0, 0)
	err := db.Write(func(tx *Tx) error {
		for _, b := range [][]byte{bQueue, bLanes, bReady, bWaiting} { // as the version before lanes left it
			if err := clearBucket(tx.b(b)); err != nil {
				return err
			}
		}
		q := tx.b(bQueue)
		old := append([]byte{byte(bot.PriorityHigh)}, itob(id)...)
		return q.Put(old, itob(uint64(dspT0.UnixNano())))
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	setSchema(t, path, 1) // the version that wrote that layout
	db, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if ids, _ := dspClaim(t, db, dspT0, 10, nil); !slices.Equal(ids, []uint64{id}) {
		t.Errorf("claimed %v after the migration, want [%d]", ids, id)
	}
}

func clearBucket(b kv.Bucket) error {
	var keys [][]byte
	b.ForEach(func(k, _ []byte) error { keys = append(keys, bytes.Clone(k)); return nil })
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
