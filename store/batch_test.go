package store

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"nudges/bot"
)

// Concurrent callers share commits; each failing call gets its own error
// and leaves nothing behind, a panicking one too, and the others commit.
func TestWriteBatchIsolatesFailures(t *testing.T) {
	db := openTest(t)
	boom := errors.New("boom")
	var wg sync.WaitGroup
	errs := make([]error, 60)
	for i := range 60 {
		wg.Go(func() {
			errs[i] = db.WriteBatch(func(tx *Tx) error {
				c := &bot.Conversation{Phone: bot.Phone(fmt.Sprintf("+1555000%04d", i))}
				if err := tx.PutConversation(c); err != nil {
					return err
				}
				switch i % 10 {
				case 3:
					return boom
				case 7:
					panic("bad call")
				}
				return nil
			})
		})
	}
	wg.Wait()
	db.Read(func(tx *Tx) error {
		for i, err := range errs {
			c, _ := tx.Conversation(bot.Phone(fmt.Sprintf("+1555000%04d", i)))
			stored := !c.FirstSeen.IsZero() || tx.b(bConversations).Get([]byte(c.Phone)) != nil
			switch i % 10 {
			case 3:
				if !errors.Is(err, boom) || stored {
					t.Errorf("call %d: err %v, stored %v; want its own error and nothing stored", i, err, stored)
				}
			case 7:
				if err == nil || stored {
					t.Errorf("call %d: err %v, stored %v; want the panic as an error and nothing stored", i, err, stored)
				}
			default:
				if err != nil || !stored {
					t.Errorf("call %d: err %v, stored %v; want committed", i, err, stored)
				}
			}
		}
		return nil
	})
}

// A lone caller is committed at once and the loop ends when idle.
func TestWriteBatchLoneCaller(t *testing.T) {
	db := openTest(t)
	for i := range 3 {
		if err := db.WriteBatch(func(tx *Tx) error { return tx.PutInboundReply(fmt.Sprint(i), "r", t0) }); err != nil {
			t.Fatal(err)
		}
	}
	// The loop clears its flag just after answering the last call: give it
	// a moment, bounded.
	for range 100 {
		db.group.mu.Lock()
		running := db.group.running
		db.group.mu.Unlock()
		if !running {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("commit loop still marked running a second after its last call")
}

// A failed commit (not a failed call) makes Ping fail until a commit works.
func TestPingReportsFailedCommit(t *testing.T) {
	db := openTest(t)
	err := errors.New("no space left on device")
	db.commitErr.Store(&err)
	if db.Ping() == nil {
		t.Fatal("Ping ignores the failed commit")
	}
	if err := db.Write(func(tx *Tx) error { return errors.New("a call's own error") }); err == nil {
		t.Fatal("want the call's error")
	}
	if db.Ping() == nil {
		t.Fatal("a call's own error must not clear a commit failure")
	}
	if err := db.Write(func(tx *Tx) error { return tx.PutInboundReply("x", "r", t0) }); err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(); err != nil {
		t.Fatalf("Ping after a good commit: %v", err)
	}
}

// A batch's transaction sees (Waiting) a write queued for the next commit
// while it runs, and not before; on etcd there is no group to wait in.
func TestWaitingSeesQueuedWrites(t *testing.T) {
	db := openTest(t)
	done := make(chan error, 1)
	err := db.WriteBatch(func(tx *Tx) error {
		if !db.grouped {
			if tx.Waiting() {
				t.Error("waiting on etcd")
			}
			return nil
		}
		if tx.Waiting() {
			t.Error("waiting before anyone queued")
		}
		go func() { done <- db.WriteBatch(func(tx *Tx) error { return tx.PutInboundReply("w", "r", t0) }) }()
		for range 1000 { // bounded: the goroutine queues at once
			if tx.Waiting() {
				return nil
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Error("a queued write was never seen waiting")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if db.grouped {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

// Bulk calls wait in a lane of their own: when a bulk call and
// interactive calls wait for the writer together, the interactive ones
// commit first and apart from it (wait: 1 h); once the bulk call has
// waited its longest (wait: 0) it goes first. Bulk calls still share
// their commits with each other, and see interactive calls waiting.
func TestBulkCallsGiveWay(t *testing.T) {
	for _, wait := range []time.Duration{time.Hour, 0} {
		db := openTest(t)
		if !db.grouped {
			t.Skip("etcd: no group commit")
		}
		db.group.wait = wait
		var mu sync.Mutex
		var order []string
		note := func(s string) { mu.Lock(); order = append(order, s); mu.Unlock() }
		hold, held := make(chan struct{}), make(chan struct{})
		var release sync.Once
		defer release.Do(func() { close(hold) }) // a failed wait must not leave the writer held
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { // keeps the writer busy while the others queue
			defer wg.Done()
			db.WriteBatch(func(*Tx) error { close(held); <-hold; return nil })
		}()
		<-held
		var sawWaiting bool
		call := func(name string, bulk bool) {
			defer wg.Done()
			fn := func(tx *Tx) error {
				note(fmt.Sprintf("%s/%d", name, tx.peers))
				if bulk && tx.Waiting() {
					sawWaiting = true
				}
				return tx.PutInboundReply(name, "r", t0)
			}
			var err error
			if bulk {
				err = db.BulkBatch(func(tx bot.Tx) error { return fn(tx.(*Tx)) })
			} else {
				err = db.WriteBatch(fn)
			}
			if err != nil {
				t.Error(err)
			}
		}
		wg.Add(2)
		go call("bulk1", true)
		go call("bulk2", true)
		until(t, "two bulk calls in the bulk lane", func() bool { return len(db.queuedBulk()) == 2 })
		wg.Add(2)
		go call("turn1", false)
		go call("turn2", false)
		until(t, "two interactive calls waiting", func() bool { return db.group.queued.Load() == 2 })
		release.Do(func() { close(hold) })
		wg.Wait()
		got := fmt.Sprint(order)
		want := map[time.Duration][]string{
			time.Hour: {"[turn1/1 turn2/1 bulk1/1 bulk2/1]", "[turn2/1 turn1/1 bulk1/1 bulk2/1]", "[turn1/1 turn2/1 bulk2/1 bulk1/1]", "[turn2/1 turn1/1 bulk2/1 bulk1/1]"},
			0:         {"[bulk1/1 bulk2/1 turn1/1 turn2/1]", "[bulk2/1 bulk1/1 turn1/1 turn2/1]", "[bulk1/1 bulk2/1 turn2/1 turn1/1]", "[bulk2/1 bulk1/1 turn2/1 turn1/1]"},
		}[wait]
		if !slices.Contains(want, got) {
			t.Errorf("wait %s: calls ran %s (name/peers), want one of %v", wait, got, want)
		}
		if wait == 0 && !sawWaiting {
			t.Error("a bulk call did not see the interactive calls waiting")
		}
	}
}

// until waits up to 5 s for cond, then fails the test.
func until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 1000 {
		if cond() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("never: %s", what)
}

// queuedBulk is the bulk calls waiting for the writer.
func (db *DB) queuedBulk() []*batchCall {
	db.group.mu.Lock()
	defer db.group.mu.Unlock()
	return slices.Clone(db.group.bulk)
}
