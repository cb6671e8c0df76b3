package store

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"nudges/bot"
)

func openTest(t *testing.T) *DB {
	t.Helper()
	db, _ := openTestPath(t)
	return db
}

var t0 = time.Date(2026, 1, 5, 15, 0, 0, 0, time.UTC)

func TestOpenTwiceFailsClearly(t *testing.T) {
	skipOnEtcd(t)
	db := openTest(t)
	_, err := Open(db.Path())
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
}

// A NUDGES_DB that is some other file (a CSV, a SQLite file, random bytes)
// stops start-up with one line naming the variable and what to do, and the
// file is left as it was.
func TestOpenOtherFileSaysWhatToFix(t *testing.T) {
	for name, data := range map[string][]byte{
		"text":  []byte(strings.Repeat("phone,language\n+15550001111,en\n", 80)),
		"short": []byte("hello"),
		"pages": bytes.Repeat([]byte{0xA5}, 64<<10),
	} {
		path := filepath.Join(t.TempDir(), name+".db")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Open(path)
		if err == nil || !strings.Contains(err.Error(), "NUDGES_DB") || !strings.Contains(err.Error(), "not a Nudges database") ||
			strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: Open = %v, want one line saying NUDGES_DB is not a Nudges database", name, err)
		}
		if got, _ := os.ReadFile(path); !bytes.Equal(got, data) {
			t.Errorf("%s: the file was changed", name)
		}
	}
}

func TestClientIndexes(t *testing.T) {
	db := openTest(t)
	err := db.Update(func(tx bot.Tx) error {
		a := &bot.Client{Phone: "+15550000001", Keyword: "YOGA", PayToken: "tok1", Status: bot.ClientActive}
		if err := tx.PutClient(a); err != nil {
			return err
		}
		b := &bot.Client{Phone: "+15550000002", Keyword: "YOGA"}
		if err := tx.PutClient(b); bot.ErrorCode(err) != bot.ECONFLICT {
			t.Errorf("taken keyword: %v, want ECONFLICT", err)
		}
		a.Keyword, a.PayToken, a.SubscriptionID = "PILATES", "tok2", "sub_1"
		if err := tx.PutClient(a); err != nil {
			return err
		}
		for kw, want := range map[string]bool{"YOGA": false, "PILATES": true} {
			if c, _ := tx.ClientByKeyword(kw); (c != nil) != want {
				t.Errorf("ClientByKeyword(%s) = %v", kw, c)
			}
		}
		if c, _ := tx.ClientByPayToken("tok1"); c != nil {
			t.Error("old pay token still indexed")
		}
		if c, _ := tx.ClientByPayToken("tok2"); c == nil || c.Phone != a.Phone {
			t.Errorf("ClientByPayToken(tok2) = %v", c)
		}
		if c, _ := tx.ClientBySubscription("sub_1"); c == nil {
			t.Error("subscription id not indexed")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestSubscriptionsKeepCountsAndOrder(t *testing.T) {
	db := openTest(t)
	err := db.Update(func(tx bot.Tx) error {
		for _, kw := range []string{"YOGA", "COFFEE"} {
			if err := tx.PutClient(&bot.Client{Phone: bot.Phone("+1555000" + map[string]string{"YOGA": "0001", "COFFEE": "0002"}[kw]), Keyword: kw}); err != nil {
				return err
			}
		}
		p := bot.Phone("+15559990000")
		tx.Subscribe("YOGA", p, t0.Add(time.Minute))
		tx.Subscribe("COFFEE", p, t0)
		if added, _ := tx.Subscribe("YOGA", p, t0); added {
			t.Error("second Subscribe reported added")
		}
		tx.Subscribe("YOGA", "+15559990001", t0)
		subs, err := tx.SubscriptionsOf(p)
		if err != nil || len(subs) != 2 || subs[0].Keyword != "COFFEE" {
			t.Errorf("SubscriptionsOf = %+v, %v; want COFFEE (joined first) then YOGA", subs, err)
		}
		if c, _ := tx.Client("+15550000001"); c.Subscribers != 2 {
			t.Errorf("YOGA has %d subscribers, want 2", c.Subscribers)
		}
		if removed, _ := tx.Unsubscribe("YOGA", p); !removed {
			t.Error("Unsubscribe reported not removed")
		}
		tx.Unsubscribe("YOGA", p)
		if c, _ := tx.Client("+15550000001"); c.Subscribers != 1 {
			t.Errorf("YOGA has %d subscribers after leave, want 1", c.Subscribers)
		}
		var seen []bot.Phone
		tx.EachSubscriber("YOGA", func(s bot.Subscription) error { seen = append(seen, s.Phone); return nil })
		if len(seen) != 1 || seen[0] != "+15559990001" {
			t.Errorf("EachSubscriber(YOGA) = %v", seen)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestLogOfReturnsLastEntriesInOrder(t *testing.T) {
	db := openTest(t)
	a, b := bot.Phone("+15550000001"), bot.Phone("+15550000002")
	db.Update(func(tx bot.Tx) error {
		for i := range 5 {
			tx.AppendLog(bot.LogEntry{Phone: a, At: t0.Add(time.Duration(i) * time.Second), Dir: bot.DirIn, Body: string(rune('a' + i))})
			tx.AppendLog(bot.LogEntry{Phone: b, At: t0, Dir: bot.DirOut, Body: "other"})
		}
		return nil
	})
	db.Read(func(tx *Tx) error {
		got, err := tx.LogOf(a, 3)
		if err != nil || len(got) != 3 || got[0].Body != "c" || got[2].Body != "e" {
			t.Errorf("LogOf = %+v, %v; want c, d, e", got, err)
		}
		got, _ = tx.LogOf(b, 100)
		if len(got) != 5 {
			t.Errorf("LogOf(b) has %d entries, want 5", len(got))
		}
		return nil
	})
}

func TestOutboxSinceAndBackup(t *testing.T) {
	db := openTest(t)
	db.Update(func(tx bot.Tx) error {
		for i := range 4 {
			to := bot.Phone("+15550000001")
			if i%2 == 1 {
				to = "+15550000002"
			}
			tx.Enqueue(&bot.OutMessage{To: to, Body: "m", CreatedAt: t0})
		}
		return nil
	})
	db.Read(func(tx *Tx) error {
		got, _ := tx.OutboxSince("+15550000001", 1, 10)
		if len(got) != 1 || got[0].ID != 3 {
			t.Errorf("OutboxSince = %+v, want only id 3", got)
		}
		return nil
	})
	if onEtcd {
		return // the backup is an etcd snapshot, restored with etcdutl
	}
	path := filepath.Join(t.TempDir(), "copy.db")
	f, err := createFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Backup(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	cp, err := Open(path)
	if err != nil {
		t.Fatalf("backup does not open: %v", err)
	}
	defer cp.Close()
	cp.View(func(tx bot.Tx) error {
		if m, _ := tx.OutMessage(4); m == nil || m.To != "+15550000002" {
			t.Errorf("backup lost outbox row 4: %+v", m)
		}
		return nil
	})
}

func createFile(path string) (*os.File, error) { return os.Create(path) }

// A client's own number finds the client, and a released one no longer does.
func TestClientByNumber(t *testing.T) {
	db, err := openPath(t, filepath.Join(t.TempDir(), "n.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c := &bot.Client{Phone: "+15550001111", Keyword: "YOGA", Own: &bot.OwnNumber{Phone: "+18335550100", Kind: bot.NumberTollFree, State: bot.NumberVerifying}}
	other := &bot.Client{Phone: "+15550002222", Keyword: "BAKE", Own: &bot.OwnNumber{Phone: "+18335550100", Kind: bot.NumberTollFree, State: bot.NumberReady}}
	err = db.Update(func(tx bot.Tx) error {
		if err := tx.PutClient(c); err != nil {
			return err
		}
		if err := tx.PutClient(other); err == nil {
			t.Error("a second client took the same number")
		}
		got, err := tx.ClientByNumber("+18335550100")
		if err != nil || got == nil || got.Phone != c.Phone {
			t.Errorf("by number: %v, %v", got, err)
		}
		c.Own.State = bot.NumberReleased
		if err := tx.PutClient(c); err != nil {
			return err
		}
		got, err = tx.ClientByNumber("+18335550100")
		if err != nil || got != nil {
			t.Errorf("released number still finds %v (%v)", got, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
