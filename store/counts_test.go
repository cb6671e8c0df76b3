package store

import (
	"bytes"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"nudges/bot"
	"nudges/store/kv/boltkv"
)

// A list's size is the sum of its sharded count keys: every reader of it
// (the client's own record, the console's rows, the gauge, the groups the
// send window splits by) sees the same number after joins and leaves, and
// the count of one group is spread over more than one key.
func TestListSizeFromShardedCounts(t *testing.T) {
	db := openTest(t)
	owner := bot.Phone("+15550000001")
	err := db.Write(func(tx *Tx) error {
		if err := tx.PutClient(&bot.Client{Phone: owner, Keyword: "YOGA", Subscribers: 99}); err != nil {
			return err
		}
		for i := range 40 {
			if _, err := tx.Subscribe("YOGA", bot.Phone(fmt.Sprintf("+1555010%04d", i)), t0); err != nil {
				return err
			}
		}
		for i := range 10 {
			if _, err := tx.Unsubscribe("YOGA", bot.Phone(fmt.Sprintf("+1555010%04d", i))); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Read(func(tx *Tx) error {
		if c, err := tx.Client(owner); err != nil || c.Subscribers != 30 {
			t.Errorf("client's list size %+v, %v; want 30 (not the 99 it was saved with)", c, err)
		}
		if c, _ := tx.ClientByKeyword("YOGA"); c.Subscribers != 0 {
			t.Errorf("by keyword: %d, want 0 (not counted on a subscriber's path)", c.Subscribers)
		}
		if rows, err := tx.ClientRows(); err != nil || len(rows) != 1 || rows[0].Subscribers != 30 {
			t.Errorf("console rows %+v, %v; want 30", rows, err)
		}
		if gs, _ := tx.ListGroups("YOGA"); len(gs) != 1 || gs[0] != (bot.PhoneGroup{Prefix: "+1555010", N: 30}) {
			t.Errorf("groups %+v, want one of 30", gs)
		}
		keys := 0
		tx.eachGroupCount(pair("YOGA", ""), func([]byte, int) { keys++ })
		if keys < 10 {
			t.Errorf("30 phones of one group counted on %d keys, want them spread", keys)
		}
		return nil
	})
	if g, err := db.Gauges(time.Now()); err != nil || g.Subscribers != 30 {
		t.Errorf("gauge %d, %v; want 30", g.Subscribers, err)
	}
}

// Two joins of one list at once, by neighbouring phones counted on
// different keys, do not conflict: neither runs again (on etcd, where a
// shared count, or a cursor on one phone's lists reading the next phone's,
// would make one of them retry; bbolt never retries).
func TestJoinsOnOneListDoNotConflict(t *testing.T) {
	db, path := openTestPath(t)
	obs := &retryCounter{}
	db.SetObserver(obs)
	a, b := bot.Phone("+15550100001"), bot.Phone("+15550100002")
	if groupKey("YOGA", a) == groupKey("YOGA", b) {
		t.Fatal("pick phones on different count keys")
	}
	if err := db.Write(func(tx *Tx) error { return tx.PutClient(&bot.Client{Phone: "+15550000001", Keyword: "YOGA"}) }); err != nil {
		t.Fatal(err)
	}
	join := func(tx *Tx, p bot.Phone) error {
		if c, err := tx.ClientByKeyword("YOGA"); err != nil || c == nil {
			return fmt.Errorf("client: %v", err)
		}
		if _, err := tx.SubscriptionsOf(p); err != nil { // reads the phone's rows, not the next phone's
			return err
		}
		_, err := tx.Subscribe("YOGA", p, t0)
		return err
	}
	runs := 0
	err := db.Write(func(tx *Tx) error {
		runs++
		if err := join(tx, a); err != nil {
			return err
		}
		if runs == 1 && onEtcd {
			other, err := openPath(t, path)
			if err != nil {
				return err
			}
			defer other.Close()
			if err := other.Write(func(tx *Tx) error { return join(tx, b) }); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := obs.n.Load(); n != 0 || runs != 1 {
		t.Errorf("%d retries, %d runs: the joins conflicted", n, runs)
	}
}

// Counts of the unsharded layout (schema 4) move to shard keys in bounded
// steps, and every list keeps its size and groups.
func TestShardGroupsMigration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "n.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	n := 2*migrationBatch + 7
	err = db.kv.(*boltkv.DB).Bolt().Update(func(btx *bolt.Tx) error {
		b := btx.Bucket(bListGroups)
		for i := range n {
			if err := b.Put(pair(fmt.Sprintf("KW%05d", i), "+1555010"), itob(uint64(i+1))); err != nil {
				return err
			}
		}
		return btx.Bucket(bMeta).Put(keySchema, itob(4))
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if db, err = Open(path); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.Read(func(tx *Tx) error {
		counts := tx.subscriberCounts()
		for i := range n {
			if kw := fmt.Sprintf("KW%05d", i); counts[kw] != i+1 {
				t.Fatalf("%s: %d, want %d", kw, counts[kw], i+1)
			}
		}
		if gs, _ := tx.ListGroups("KW00003"); len(gs) != 1 || gs[0] != (bot.PhoneGroup{Prefix: "+1555010", N: 4}) {
			t.Errorf("groups after migration %+v", gs)
		}
		return tx.b(bListGroups).ForEach(func(k, _ []byte) error {
			if bytes.Count(k, []byte{0}) == 1 {
				t.Errorf("key %q left unsharded", k)
			}
			return nil
		})
	})
}
