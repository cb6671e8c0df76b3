package store

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"nudges/bot"
)

var writeFixture = flag.Bool("write-fixture", false, "write testdata/schema-v<SchemaVersion>.db from the current code")

// fixtureSeed is what the schema fixtures hold: a plan, an active client, a
// subscriber with a conversation, and a queued message.
func fixtureSeed(tx bot.Tx) error {
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	p := &bot.Plan{Name: "Starter", PriceMinor: 900, Currency: "usd", Interval: bot.Month, Quota: 30, Active: true, CreatedAt: at}
	if err := tx.PutPlan(p); err != nil {
		return err
	}
	c := &bot.Client{Phone: "+15550009999", Name: "Sunrise Yoga", Keyword: "YOGA", Status: bot.ClientActive, PlanID: p.ID,
		PeriodStart: at, PeriodEnd: at.AddDate(0, 1, 0), CreatedAt: at, LiveAt: at, Locale: bot.English}
	if err := tx.PutClient(c); err != nil {
		return err
	}
	conv := &bot.Conversation{Phone: "+15550001111", Locale: bot.Spanish, FirstSeen: at, LastSeen: at}
	if err := tx.PutConversation(conv); err != nil {
		return err
	}
	if _, err := tx.Subscribe("YOGA", conv.Phone, at); err != nil {
		return err
	}
	return tx.Enqueue(&bot.OutMessage{To: conv.Phone, Body: "hola", Kind: bot.KindReply, CreatedAt: at, NextAt: at})
}

// TestSchemaFixturesOpen opens a copy of every committed fixture, each
// written by the binary of its schema version, and reads its data back
// after start-up has migrated it to the current version.
func TestSchemaFixturesOpen(t *testing.T) {
	current := filepath.Join("testdata", fmt.Sprintf("schema-v%d.db", SchemaVersion))
	if *writeFixture {
		os.Remove(current)
		db, err := Open(current)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Update(fixtureSeed); err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
	fixtures, _ := filepath.Glob(filepath.Join("testdata", "schema-v*.db"))
	if !contains(fixtures, current) {
		t.Fatalf("no fixture for schema %d: run go test ./store -run TestSchemaFixturesOpen -write-fixture", SchemaVersion)
	}
	for _, f := range fixtures {
		t.Run(filepath.Base(f), func(t *testing.T) {
			db := openCopy(t, f)
			if v, _, err := schemaOf(db.kv); err != nil || v != SchemaVersion {
				t.Fatalf("schema after open: %d, %v; want %d", v, err, SchemaVersion)
			}
			checkFixtureData(t, db)
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func openCopy(t *testing.T, fixture string) *DB {
	t.Helper()
	b, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "n.db")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func checkFixtureData(t *testing.T, db *DB) {
	t.Helper()
	err := db.Read(func(tx *Tx) error {
		c, err := tx.ClientByKeyword("YOGA")
		if err == nil && c != nil {
			c, err = tx.Client(c.Phone) // the list's size is filled in by phone
		}
		if err != nil || c == nil || c.Name != "Sunrise Yoga" || c.Subscribers != 1 || c.Status != bot.ClientActive {
			return fmt.Errorf("client YOGA: %+v, %v", c, err)
		}
		subs, err := tx.SubscriptionsOf("+15550001111")
		if err != nil || len(subs) != 1 || subs[0].Keyword != "YOGA" {
			return fmt.Errorf("subscriptions: %+v, %v", subs, err)
		}
		conv, err := tx.Conversation("+15550001111")
		if err != nil || conv.Locale != bot.Spanish {
			return fmt.Errorf("conversation: %+v, %v", conv, err)
		}
		p, err := tx.Plan(c.PlanID)
		if err != nil || p == nil || p.PriceMinor != 900 {
			return fmt.Errorf("plan: %+v, %v", p, err)
		}
		groups, err := tx.ListGroups("YOGA") // counted by migration 4 in older files
		if err != nil || len(groups) != 1 || groups[0] != (bot.PhoneGroup{Prefix: "+1555000", N: 1}) {
			return fmt.Errorf("list groups: %+v, %v", groups, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	g, err := db.Gauges(time.Now())
	if err != nil || g.Outbox[bot.PriorityHigh] != 1 {
		t.Fatalf("queued message: %+v, %v", g, err)
	}
	db.Read(func(tx *Tx) error {
		return tx.b(bQueue).ForEach(func(k, _ []byte) error {
			if len(k) != qKeyLen {
				t.Errorf("queue key %x not in the lane, due, id layout", k)
			}
			return nil
		})
	})
}

func TestMigrationsEndAtSchemaVersion(t *testing.T) {
	for i, m := range migrations {
		if m.To != i+1 || m.Step == nil || m.What == "" {
			t.Errorf("migration %d: %+v", i, m)
		}
	}
	if last := migrations[len(migrations)-1].To; last != SchemaVersion {
		t.Fatalf("migrations end at %d, SchemaVersion is %d", last, SchemaVersion)
	}
}

// The queue-key migration reads at most migrationBatch keys per step: a
// queue a little longer than that takes more than one step, and every key
// ends in the new layout with its due time.
func TestQueueKeysMigrateInSteps(t *testing.T) {
	skipOnEtcd(t)
	db := openTest(t)
	n := migrationBatch + 3
	err := db.Write(func(tx *Tx) error {
		for i := 1; i <= n; i++ {
			if err := tx.b(bQueue).Put(append([]byte{byte(bot.PriorityBulk)}, itob(uint64(i))...), itob(uint64(t0.UnixNano()))); err != nil {
				return err
			}
		}
		return tx.b(bMeta).Put(keySchema, itob(1))
	})
	if err != nil {
		t.Fatal(err)
	}
	steps := 0
	ms := []Migration{migrations[0], {To: 2, What: "queue keys", Step: func(tx *Tx, c []byte) ([]byte, error) {
		steps++
		return queueKeysStep(tx, c)
	}}}
	if err := db.migrate(1, false, ms); err != nil {
		t.Fatal(err)
	}
	if steps < 2 { // each step reads at most migrationBatch keys, old or already moved
		t.Errorf("%d step for %d keys, want more than one", steps, n)
	}
	db.Read(func(tx *Tx) error {
		got := 0
		tx.b(bQueue).ForEach(func(k, _ []byte) error {
			if len(k) == 17 && btoi(k[1:9]) == uint64(t0.UnixNano()) {
				got++
			}
			return nil
		})
		if got != n {
			t.Errorf("%d of %d keys in the new layout", got, n)
		}
		return nil
	})
}

// setSchema writes version v into the file at path, as another binary would.
func setSchema(t *testing.T, path string, v int) {
	t.Helper()
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	err = b.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bMeta)
		if err != nil {
			return err
		}
		if v < 0 {
			return meta.Delete(keySchema)
		}
		return meta.Put(keySchema, itob(uint64(v)))
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestNewerSchemaStopsStartUpInOneLine(t *testing.T) {
	skipOnEtcd(t)
	db := openTest(t)
	path := db.Path()
	db.Close()
	setSchema(t, path, SchemaVersion+1)
	before, _ := os.ReadFile(path)
	_, err := Open(path)
	if !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("open a newer file: %v, want ErrNewerSchema", err)
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") || !strings.Contains(msg, fmt.Sprintf("schema version %d", SchemaVersion+1)) ||
		!strings.Contains(msg, "newer binary") {
		t.Fatalf("message %q: want one line naming the version and what to do", msg)
	}
	after, _ := os.ReadFile(path)
	if string(before) != string(after) {
		t.Fatal("the newer file was changed by the refused start-up")
	}
}

func TestFreshFileRecordsCurrentSchema(t *testing.T) {
	db := openTest(t)
	if v, fresh, err := schemaOf(db.kv); err != nil || fresh || v != SchemaVersion {
		t.Fatalf("fresh file after open: version %d fresh %v %v", v, fresh, err)
	}
}

func TestUnversionedFileIsMigrated(t *testing.T) {
	skipOnEtcd(t)
	db := openTest(t)
	if err := db.Update(fixtureSeed); err != nil {
		t.Fatal(err)
	}
	path := db.Path()
	db.Close()
	setSchema(t, path, -1) // a file from before schema versions
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, _, _ := schemaOf(db.kv); v != SchemaVersion {
		t.Fatalf("version after open: %d", v)
	}
	checkFixtureData(t, db)
}

// TestMigrationRunsInBoundedStepsAndResumes runs a migration to a made-up
// version 2 that rewrites three keys per step: each step is its own
// transaction, a failure keeps what earlier steps did and the saved cursor,
// and the next start goes on from there without redoing them.
func TestMigrationRunsInBoundedStepsAndResumes(t *testing.T) {
	db := openTest(t)
	err := db.Write(func(tx *Tx) error {
		for i := range 10 {
			if err := tx.b(bMeta).Put([]byte(fmt.Sprintf("k%d", i)), []byte("v1")); err != nil {
				return err
			}
		}
		return tx.b(bMeta).Put(keySchema, itob(1))
	})
	if err != nil {
		t.Fatal(err)
	}
	rewrites, calls, failAt := 0, 0, 2
	step := func(tx *Tx, cursor []byte) ([]byte, error) {
		calls++
		if calls == failAt {
			return nil, errors.New("disk hiccup")
		}
		cur := tx.b(bMeta).Cursor()
		k, _ := cur.Seek([]byte("k"))
		if cursor != nil {
			cur.Seek(cursor)
			k, _ = cur.Next()
		}
		var last []byte
		for n := 0; n < 3 && k != nil && k[0] == 'k'; n++ {
			if err := tx.b(bMeta).Put(k, []byte("v2")); err != nil {
				return nil, err
			}
			rewrites++
			last = append([]byte(nil), k...)
			k, _ = cur.Next()
		}
		if k == nil || k[0] != 'k' {
			return nil, nil
		}
		return last, nil
	}
	ms := []Migration{migrations[0], {To: 2, What: "test rewrite", Step: step}}
	if err := db.migrate(1, false, ms); err == nil || !strings.Contains(err.Error(), "disk hiccup") {
		t.Fatalf("first run: %v, want the step's error", err)
	}
	if v, _, _ := schemaOf(db.kv); v != 1 || rewrites != 3 {
		t.Fatalf("after the failure: version %d, %d keys rewritten; want 1 and 3", v, rewrites)
	}
	if err := db.migrate(1, false, ms); err != nil {
		t.Fatal(err)
	}
	if v, _, _ := schemaOf(db.kv); v != 2 {
		t.Fatalf("version after the migration: %d, want 2", v)
	}
	if rewrites != 10 || calls != 5 { // a step of 3, a failure, then steps of 3, 3, 1
		t.Fatalf("%d rewrites in %d calls; want 10 in 5 (no key done twice)", rewrites, calls)
	}
	db.Read(func(tx *Tx) error {
		if tx.b(bMeta).Get(keyMigration) != nil {
			t.Error("migration cursor left behind")
		}
		return nil
	})
}

func TestMigrationsOutOfOrderAreRefused(t *testing.T) {
	db := openTest(t)
	ms := []Migration{{To: 3, What: "skips 2", Step: func(*Tx, []byte) ([]byte, error) { return nil, nil }}}
	if err := db.migrate(1, false, ms); err == nil || !strings.Contains(err.Error(), "in order") {
		t.Fatalf("a gap in the migrations: %v", err)
	}
}
