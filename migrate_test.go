package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"nudges/bot"
	"nudges/store"
	"nudges/store/kv/boltkv"
	"nudges/store/kv/kvtest"
)

// TestMigrateCommand: `nudges migrate` copies a real store file into a new
// one that the store opens with the same state.
func TestMigrateCommand(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src.db"), filepath.Join(dir, "dst.db")
	db, err := store.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx bot.Tx) error {
		return tx.PutClient(&bot.Client{Phone: "+15550001111", Name: "Sunrise Yoga", Keyword: "YOGA"})
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"migrate", "bolt://" + src, "bolt://" + dst}); err != nil {
		t.Fatal(err)
	}
	a, err := boltkv.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := boltkv.Open(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	kvtest.SameContents(t, a, b)
	if err := run([]string{"migrate", "bolt://" + src}); err == nil || !strings.Contains(err.Error(), "usage") {
		t.Errorf("migrate with one store = %v", err)
	}
}

// TestMigrateRefusesAMissingSourceAndAFullDestination: a mistyped source
// path used to be created empty and "copied and verified"; a second run
// into the same destination overwrote it.
func TestMigrateRefusesAMissingSourceAndAFullDestination(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src.db"), filepath.Join(dir, "dst.db")
	missing := filepath.Join(dir, "typo.db")
	err := run([]string{"migrate", "bolt://" + missing, "bolt://" + filepath.Join(dir, "out.db")})
	if err == nil || !strings.Contains(err.Error(), "typo.db") {
		t.Errorf("missing source = %v", err)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("the missing source file was created")
	}
	empty, err := boltkv.Open(filepath.Join(dir, "empty.db"))
	if err != nil {
		t.Fatal(err)
	}
	empty.Close()
	if err := run([]string{"migrate", "bolt://" + filepath.Join(dir, "empty.db"), "bolt://" + dst}); err == nil || !strings.Contains(err.Error(), "no keys") {
		t.Errorf("empty source = %v", err)
	}
	db, err := store.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := run([]string{"migrate", "bolt://" + src, "bolt://" + dst}); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"migrate", "bolt://" + src, "bolt://" + dst}); err == nil || !strings.Contains(err.Error(), "already holds") {
		t.Errorf("second copy into the same destination = %v", err)
	}
}

// TestMigrateThroughEtcd: a bbolt store copied into an etcd member run by
// the command (etcd+embed) and back holds the same state, and the copy
// serves: ids carry on after the copied ones.
func TestMigrateThroughEtcd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an etcd member twice")
	}
	dir := t.TempDir()
	src, back := filepath.Join(dir, "src.db"), filepath.Join(dir, "back.db")
	db, err := store.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	var last uint64
	err = db.Update(func(tx bot.Tx) error {
		if err := tx.PutClient(&bot.Client{Phone: "+15550001111", Name: "Sunrise Yoga", Keyword: "YOGA"}); err != nil {
			return err
		}
		if _, err := tx.Subscribe("YOGA", "+15550002222", time.Now()); err != nil {
			return err
		}
		m := &bot.OutMessage{To: "+15550002222", Body: "hello"}
		err := tx.Enqueue(m)
		last = m.ID
		return err
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	peer, client := "http://"+freeAddr(t), "http://"+freeAddr(t)
	etcd := fmt.Sprintf("etcd+embed://%s?name=m1&peer=%s&client=%s", filepath.Join(dir, "etcd"), peer, client)
	if err := run([]string{"migrate", "bolt://" + src, etcd}); err != nil {
		t.Fatalf("bolt to etcd: %v", err)
	}
	if err := run([]string{"migrate", etcd, "bolt://" + back}); err != nil {
		t.Fatalf("etcd to bolt: %v", err)
	}
	a, err := boltkv.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := boltkv.Open(back)
	if err != nil {
		t.Fatal(err)
	}
	kvtest.SameContents(t, a, b)
	b.Close()
	copied, err := store.Open(back)
	if err != nil {
		t.Fatal(err)
	}
	defer copied.Close()
	err = copied.Update(func(tx bot.Tx) error {
		if on, err := tx.Subscribed("YOGA", "+15550002222"); err != nil || !on {
			t.Errorf("subscription lost on the way: %v %v", on, err)
		}
		m := &bot.OutMessage{To: "+15550002222", Body: "again"}
		if err := tx.Enqueue(m); err != nil {
			return err
		}
		if m.ID <= last {
			t.Errorf("new id %d after copied id %d", m.ID, last)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
