package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

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
