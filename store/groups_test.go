package store

import (
	"fmt"
	"maps"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"nudges/bot"
)

func groupsOf(t *testing.T, db *DB, kw string) map[string]int {
	t.Helper()
	got := map[string]int{}
	err := db.Read(func(tx *Tx) error {
		gs, err := tx.ListGroups(kw)
		for _, g := range gs {
			got[g.Prefix] = g.N
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// The list's counts by number prefix follow joins, imports and leaves, per
// list, and are rebuilt at Open for a database written before them.
func TestListGroupsFollowTheList(t *testing.T) {
	path := filepath.Join(t.TempDir(), "n.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	err = db.Write(func(tx *Tx) error {
		for _, kw := range []string{"YOGA", "YOGI"} {
			if err := tx.PutClient(&bot.Client{Phone: bot.Phone("+1555000" + map[string]string{"YOGA": "9999", "YOGI": "8888"}[kw]), Keyword: kw}); err != nil {
				return err
			}
		}
		for _, p := range []bot.Phone{"+12125550100", "+12125550101", "+12125559999", "+19075550100", "+34911234567"} {
			if _, err := tx.Subscribe("YOGA", p, at); err != nil {
				return err
			}
		}
		if _, err := tx.Subscribe("YOGA", "+12125550100", at); err != nil { // already on it
			return err
		}
		if _, err := tx.Subscribe("YOGI", "+12125550100", at); err != nil {
			return err
		}
		_, err := tx.AddSubscriptions([]bot.Subscription{{Keyword: "YOGA", Phone: "+3491123"}, {Keyword: "YOGA", Phone: "+34911234567"}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"+1212555": 3, "+1907555": 1, "+3491123": 2}
	if got := groupsOf(t, db, "YOGA"); !maps.Equal(got, want) {
		t.Errorf("YOGA groups %v, want %v", got, want)
	}
	if got := groupsOf(t, db, "YOGI"); !maps.Equal(got, map[string]int{"+1212555": 1}) {
		t.Errorf("YOGI groups %v", got)
	}
	err = db.Write(func(tx *Tx) error {
		for _, p := range []bot.Phone{"+19075550100", "+12125550101", "+15550000000"} {
			if _, err := tx.Unsubscribe("YOGA", p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want = map[string]int{"+1212555": 2, "+3491123": 2}
	if got := groupsOf(t, db, "YOGA"); !maps.Equal(got, want) {
		t.Errorf("after leaves: %v, want %v", got, want)
	}

	// A database from before the counts (schema 3): migration 4 counts the
	// lists again.
	err = db.bolt.Update(func(btx *bolt.Tx) error {
		if err := btx.DeleteBucket(bListGroups); err != nil {
			return err
		}
		return btx.Bucket(bMeta).Put(keySchema, itob(3))
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if db, err = Open(path); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := groupsOf(t, db, "YOGA"); !maps.Equal(got, want) {
		t.Errorf("rebuilt at Open: %v, want %v", got, want)
	}
}

// Migration 4 counts a list longer than one step's batch, a batch per
// transaction, to the same counts the writes keep.
func TestListGroupsMigrationInSteps(t *testing.T) {
	path := filepath.Join(t.TempDir(), "n.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	n := 2*migrationBatch + 7
	subs := make([]bot.Subscription, n)
	for i := range subs {
		subs[i] = bot.Subscription{Keyword: []string{"YOGA", "YOGI"}[i%2], Phone: bot.Phone(fmt.Sprintf("+1%03d55%05d", 212+i%3, i))}
	}
	if err := db.Write(func(tx *Tx) error { _, err := tx.AddSubscriptions(subs); return err }); err != nil {
		t.Fatal(err)
	}
	kept := map[string]map[string]int{"YOGA": groupsOf(t, db, "YOGA"), "YOGI": groupsOf(t, db, "YOGI")}
	err = db.bolt.Update(func(btx *bolt.Tx) error {
		if err := btx.DeleteBucket(bListGroups); err != nil {
			return err
		}
		return btx.Bucket(bMeta).Put(keySchema, itob(3))
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if db, err = Open(path); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	total := 0
	for kw, want := range kept {
		got := groupsOf(t, db, kw)
		if !maps.Equal(got, want) {
			t.Errorf("%s counted by the migration %v, kept by the writes %v", kw, got, want)
		}
		for _, v := range got {
			total += v
		}
	}
	if total != n {
		t.Errorf("%d phones counted, want %d", total, n)
	}
}
