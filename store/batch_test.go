package store

import (
	"errors"
	"fmt"
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
