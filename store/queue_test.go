package store

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"nudges/bot"
)

const qOwn = bot.Phone("+18335550100") // a client's own toll-free number

// qPut queues n messages from sender from at prio in announcement ann
// (created at at) and returns their ids.
func qPut(t *testing.T, db *DB, from bot.Phone, prio bot.Priority, ann uint64, at time.Time, n int) []uint64 {
	t.Helper()
	var ids []uint64
	err := db.Write(func(tx *Tx) error {
		var msgs []bot.OutMessage
		for i := range n {
			msgs = append(msgs, bot.OutMessage{To: bot.Phone(fmt.Sprintf("+1555%03d%04d", ann, i)), From: from, Body: "hi",
				Kind: bot.KindAnnouncement, Priority: prio, AnnouncementID: ann, CreatedAt: at})
		}
		if err := tx.EnqueueBulk(msgs); err != nil {
			return err
		}
		for _, m := range msgs {
			ids = append(ids, m.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// qClaim claims up to n with room per sender (nil: n each) and returns
// the claimed messages' announcement ids and senders.
func qClaim(t *testing.T, l *bot.Lifecycle, now time.Time, n int, room func(bot.Phone) int) ([]uint64, []bot.Phone) {
	t.Helper()
	msgs, _, err := l.Claim(now, n, room)
	if err != nil {
		t.Fatal(err)
	}
	var anns []uint64
	var from []bot.Phone
	for _, m := range msgs {
		anns, from = append(anns, m.AnnouncementID), append(from, m.From)
	}
	return anns, from
}

// A small announcement queued after a big one from the same sender takes
// turns with it instead of waiting for it to finish.
func TestClaimTakesAnnouncementsInTurn(t *testing.T) {
	db, _ := openDispatchDB(t)
	qPut(t, db, "", bot.PriorityBulk, 1, dspT0, 50)
	qPut(t, db, "", bot.PriorityBulk, 2, dspT0.Add(time.Second), 3)
	l := dspOutbox(db, nil)
	var got []uint64
	for range 5 {
		anns, _ := qClaim(t, l, dspT0.Add(2*time.Second), 2, nil)
		got = append(got, anns...)
	}
	want := []uint64{1, 2, 1, 2, 1, 2, 1, 1, 1, 1}
	if !slices.Equal(got, want) {
		t.Fatalf("claimed announcements %v, want %v", got, want)
	}
}

// Within a sender, a reply queued after its bulk goes first.
func TestClaimRepliesBeforeTheSendersBulk(t *testing.T) {
	db, _ := openDispatchDB(t)
	qPut(t, db, qOwn, bot.PriorityBulk, 1, dspT0, 20)
	l := dspOutbox(db, nil)
	qClaim(t, l, dspT0, 3, nil)
	reply := qPut(t, db, qOwn, bot.PriorityHigh, 0, dspT0.Add(time.Second), 1)
	msgs, _, err := l.Claim(dspT0.Add(time.Second), 2, nil)
	if err != nil || len(msgs) != 2 || msgs[0].ID != reply[0] || msgs[1].AnnouncementID != 1 {
		t.Fatalf("claimed %+v, %v; want the reply, then the bulk", msgs, err)
	}
}

// Each sender takes at most its room: a busy one (0) none, and the other
// senders are not held up by it.
func TestClaimGivesEachSenderItsRoom(t *testing.T) {
	db, _ := openDispatchDB(t)
	qPut(t, db, "", bot.PriorityBulk, 1, dspT0, 20)
	qPut(t, db, qOwn, bot.PriorityBulk, 2, dspT0, 20)
	l := dspOutbox(db, nil)
	room := map[bot.Phone]int{"": 1, qOwn: 3}
	_, from := qClaim(t, l, dspT0, 100, func(p bot.Phone) int { return room[p] })
	slices.Sort(from)
	if want := []bot.Phone{"", qOwn, qOwn, qOwn}; !slices.Equal(from, want) {
		t.Fatalf("claimed from %q, want %q", from, want)
	}
	room[""] = 0 // the service number is busy
	_, from = qClaim(t, l, dspT0, 100, func(p bot.Phone) int { return room[p] })
	if want := []bot.Phone{qOwn, qOwn, qOwn}; !slices.Equal(from, want) {
		t.Fatalf("with the service number busy, claimed from %q, want %q", from, want)
	}
}

// A lane emptied is forgotten, and a lane whose rows are all due later
// waits without being looked at until then.
func TestLanesEmptyAndWaitingCostNothing(t *testing.T) {
	db, _ := openDispatchDB(t)
	qPut(t, db, "", bot.PriorityBulk, 1, dspT0, 2)
	later := dspT0.Add(time.Hour)
	qPut(t, db, qOwn, bot.PriorityBulk, 2, later, 2)
	l := dspOutbox(db, nil)
	if anns, _ := qClaim(t, l, dspT0, 10, nil); !slices.Equal(anns, []uint64{1, 1}) {
		t.Fatalf("claimed %v, want announcement 1's two", anns)
	}
	_, next, err := l.Claim(dspT0, 10, nil)
	if err != nil || !next.Equal(later) {
		t.Fatalf("next %v, %v; want the later lane's due time", next, err)
	}
	db.Read(func(tx *Tx) error {
		if n := keyCount(tx.b(bLanes)); n != 1 {
			t.Errorf("%d lanes kept, want the waiting one only", n)
		}
		if k, _ := tx.b(bReady).Cursor().First(); k != nil {
			t.Errorf("ready lane %x left", k)
		}
		return nil
	})
	if anns, _ := qClaim(t, l, later, 10, nil); !slices.Equal(anns, []uint64{2, 2}) {
		t.Fatalf("claimed %v when due, want announcement 2's two", anns)
	}
}

// Senders take turns across claims: a claim that runs out of messages
// before every sender had its go starts the next claim after the last one
// served.
func TestClaimRotatesSenders(t *testing.T) {
	db, _ := openDispatchDB(t)
	senders := []bot.Phone{"", "+18335550101", "+18335550102", "+18335550103"}
	for i, s := range senders {
		qPut(t, db, s, bot.PriorityBulk, uint64(i+1), dspT0, 5)
	}
	l := dspOutbox(db, nil)
	seen := map[bot.Phone]int{}
	for range 4 {
		_, from := qClaim(t, l, dspT0, 1, nil)
		for _, f := range from {
			seen[f]++
		}
	}
	for _, s := range senders {
		if seen[s] != 1 {
			t.Errorf("sender %q served %d times in 4 claims of 1, want once each: %v", s, seen[s], seen)
		}
	}
}

// Schema 5 moves queue keys of the (priority, due, id) form into their
// rows' lanes, a bounded number per step: every queued row ends in its lane
// and is claimed; a key whose row is no longer queued is dropped.
func TestQueueLanesMigrateInSteps(t *testing.T) {
	skipOnEtcd(t) // an old bbolt file's layout
	db, _ := openDispatchDB(t)
	n := migrationBatch + 3
	ids := qPut(t, db, qOwn, bot.PriorityBulk, 7, dspT0, n)
	reply := qPut(t, db, qOwn, bot.PriorityHigh, 0, dspT0, 1)[0]
	err := db.Write(func(tx *Tx) error {
		for _, b := range [][]byte{bQueue, bLanes, bReady, bWaiting} {
			if err := clearBucket(tx.b(b)); err != nil {
				return err
			}
		}
		old := func(p bot.Priority, id uint64) []byte { // schema 4's key
			return append(append([]byte{byte(p)}, itob(uint64(dspT0.UnixNano()))...), itob(id)...)
		}
		for _, id := range ids {
			if err := tx.b(bQueue).Put(old(bot.PriorityBulk, id), nil); err != nil {
				return err
			}
		}
		if err := tx.b(bQueue).Put(old(bot.PriorityHigh, 999_999), nil); err != nil { // its row is gone
			return err
		}
		return tx.b(bQueue).Put(old(bot.PriorityHigh, reply), nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	steps := 0
	ms := append(slices.Clone(migrations[:5]), Migration{To: 6, What: "lanes", Step: func(tx *Tx, c []byte) ([]byte, error) {
		steps++
		return queueLanesStep(tx, c)
	}})
	if err := db.migrate(5, false, ms); err != nil {
		t.Fatal(err)
	}
	if steps < 2 {
		t.Errorf("%d step for %d keys, want more than one", steps, n+2)
	}
	db.Read(func(tx *Tx) error {
		if got := keyCount(tx.b(bQueue)); got != n+1 {
			t.Errorf("%d queue keys after the migration, want %d", got, n+1)
		}
		return tx.b(bQueue).ForEach(func(k, _ []byte) error {
			if len(k) != qKeyLen {
				t.Errorf("queue key %x not in a lane", k)
			}
			return nil
		})
	})
	msgs, _, err := dspOutbox(db, nil).Claim(dspT0, 3, nil)
	if err != nil || len(msgs) != 3 || msgs[0].ID != reply || msgs[1].From != qOwn || msgs[2].From != qOwn {
		t.Fatalf("claimed %d, %v; want the reply, then the bulk", len(msgs), err)
	}
}
