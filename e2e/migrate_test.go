package e2e

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

// migrate runs `nudges migrate args…` and returns its output, failing the
// test unless it succeeds.
func migrate(t *testing.T, args ...string) string {
	t.Helper()
	out, err := Command(t, Options{}, append([]string{"migrate"}, args...)...)
	if err != nil {
		t.Fatalf("nudges migrate %v: %v\n%s", args, err, out)
	}
	return out
}

// migrateFails runs `nudges migrate args…`, which must fail, and returns
// its output.
func migrateFails(t *testing.T, args ...string) string {
	t.Helper()
	out, err := Command(t, Options{}, append([]string{"migrate"}, args...)...)
	if err == nil {
		t.Errorf("nudges migrate %v succeeded:\n%s", args, out)
	}
	return out
}

// TestMigrateCommand: `nudges migrate` copies a real store file into a new
// one that the store opens with the same state.
func TestMigrateCommand(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src.db"), filepath.Join(dir, "dst.db")
	Update(t, src, func(tx bot.Tx) error {
		return tx.PutClient(&bot.Client{Phone: "+15550001111", Name: "Sunrise Yoga", Keyword: "YOGA"})
	})
	migrate(t, "bolt://"+src, "bolt://"+dst)
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
	if out := migrateFails(t, "bolt://"+src); !strings.Contains(out, "usage") {
		t.Errorf("migrate with one store = %s", out)
	}
}

// TestMigrateRefusesAMissingSourceAndAFullDestination: a mistyped source
// path used to be created empty and "copied and verified"; a second run
// into the same destination overwrote it.
func TestMigrateRefusesAMissingSourceAndAFullDestination(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src.db"), filepath.Join(dir, "dst.db")
	missing := filepath.Join(dir, "typo.db")
	if out := migrateFails(t, "bolt://"+missing, "bolt://"+filepath.Join(dir, "out.db")); !strings.Contains(out, "typo.db") {
		t.Errorf("missing source = %s", out)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("the missing source file was created")
	}
	empty, err := boltkv.Open(filepath.Join(dir, "empty.db"))
	if err != nil {
		t.Fatal(err)
	}
	empty.Close()
	if out := migrateFails(t, "bolt://"+filepath.Join(dir, "empty.db"), "bolt://"+dst); !strings.Contains(out, "no keys") {
		t.Errorf("empty source = %s", out)
	}
	db, err := store.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	migrate(t, "bolt://"+src, "bolt://"+dst)
	if out := migrateFails(t, "bolt://"+src, "bolt://"+dst); !strings.Contains(out, "already holds") {
		t.Errorf("second copy into the same destination = %s", out)
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
	var last uint64
	Update(t, src, func(tx bot.Tx) error {
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
	etcd := fmt.Sprintf("etcd+embed://%s?name=m1&peer=http://%s", filepath.Join(dir, "etcd"), FreeAddr(t))
	migrate(t, "bolt://"+src, etcd)
	migrate(t, etcd, "bolt://"+back)
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
	Update(t, back, func(tx bot.Tx) error {
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
}
