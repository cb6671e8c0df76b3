package store

import (
	"fmt"
	"testing"
	"time"

	"nudges/bot"
)

var capT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// fill runs fn in one transaction the engine's cap does not limit.
func fill(t *testing.T, db *DB, c *capped, fn func(tx *Tx) error) {
	t.Helper()
	n := c.n
	c.n = 1 << 30
	defer func() { c.n = n }()
	if err := db.Write(fn); err != nil {
		t.Fatal(err)
	}
}

// Erasing a phone whose log and consent records are more than a write
// transaction takes deletes all its log, and nobody else's, and redacts
// every record.
func TestEraseLongLogOnLimitedStore(t *testing.T) {
	db, c := openCapped(t, 20)
	p, other := bot.Phone("+15550001111"), bot.Phone("+15550002222")
	fill(t, db, c, func(tx *Tx) error {
		for _, ph := range []bot.Phone{p, other} {
			if err := tx.PutConversation(&bot.Conversation{Phone: ph, FirstSeen: capT0}); err != nil {
				return err
			}
			for i := range 50 {
				e := bot.LogEntry{Phone: ph, At: capT0.Add(time.Duration(i) * time.Second), Dir: bot.DirIn, Body: "hi", To: "+15550000000"}
				if err := tx.AppendLog(e); err != nil {
					return err
				}
			}
		}
		return nil
	})
	fill(t, db, c, func(tx *Tx) error {
		for range 30 {
			if err := tx.AppendConsent(&bot.ConsentRecord{Phone: p, Keyword: "YOGA", Kind: bot.ConsentJoin, At: capT0}); err != nil {
				return err
			}
		}
		return nil
	})
	if ok, err := db.Erase(p); err != nil || !ok {
		t.Fatalf("erase = %v, %v", ok, err)
	}
	db.Read(func(tx *Tx) error {
		recs, _ := tx.ConsentPage("YOGA", 0, 100)
		if len(recs) != 30 {
			t.Errorf("%d consent records, want the 30 kept", len(recs))
		}
		for _, r := range recs {
			if r.Phone == p {
				t.Errorf("consent record %d still names the phone", r.ID)
			}
		}
		if logs, _ := tx.LogOf(p, 100); len(logs) != 0 {
			t.Errorf("%d log entries of the erased phone left", len(logs))
		}
		if logs, _ := tx.LogOf(other, 100); len(logs) != 50 {
			t.Errorf("the other phone has %d log entries, want 50", len(logs))
		}
		if s, _ := tx.Suppressed(p); !s {
			t.Error("the erased phone is not suppressed")
		}
		return nil
	})
}

// Pruning walks more click marks than a transaction takes: the expired
// ones go, the fresh ones stay.
func TestPruneClickMarksOnLimitedStore(t *testing.T) {
	db, c := openCapped(t, 20)
	fill(t, db, c, func(tx *Tx) error {
		return tx.PutLinks(1, []bot.Link{{Code: "abc", URL: "https://example.com/"}})
	})
	now := capT0.Add(3 * bot.ClickWindow)
	click := func(visitor string, at time.Time) {
		if _, found, err := db.FollowLink("abc", visitor, true, at, bot.ClickWindow); err != nil || !found {
			t.Fatalf("click %s: %v %v", visitor, found, err)
		}
	}
	for i := range 8 {
		click(fmt.Sprintf("old%d", i), capT0)
	}
	for i := range 50 {
		click(fmt.Sprintf("new%d", i), now.Add(-time.Minute))
	}
	if _, err := db.Prune(now); err != nil {
		t.Fatal(err)
	}
	if n := countKeys(t, db, bClickSeen); n != 50 {
		t.Errorf("%d click marks left, want the 50 fresh ones", n)
	}
}

// Pruning more expired pictures than a transaction takes forgets them
// all and keeps a fresh draft's.
func TestPruneMediaOnLimitedStore(t *testing.T) {
	db, _ := openCapped(t, 20)
	for i := range 30 {
		m := bot.Media{Token: fmt.Sprintf("old%02d", i), Type: "image/png", Size: 1}
		if err := db.KeepPicture(m, []byte{1}, capT0); err != nil {
			t.Fatal(err)
		}
	}
	now := capT0.Add(DraftPictureKeep + time.Hour)
	if err := db.KeepPicture(bot.Media{Token: "fresh", Type: "image/png", Size: 1}, []byte{2}, now); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Prune(now); err != nil {
		t.Fatal(err)
	}
	if n := countKeys(t, db, bMedia); n != 1 {
		t.Errorf("%d pictures left, want the fresh one", n)
	}
	if _, _, found, _ := db.Picture("fresh"); !found {
		t.Error("the fresh draft's picture was pruned")
	}
}

func countKeys(t *testing.T, db *DB, bucket []byte) int {
	t.Helper()
	n := 0
	err := db.Read(func(tx *Tx) error {
		return tx.b(bucket).ForEach(func(_, _ []byte) error { n++; return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
