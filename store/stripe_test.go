package store

import (
	"errors"
	"testing"
	"time"

	"nudges/bot"
)

func TestEventAppliedAtMostOnce(t *testing.T) {
	db := openTest(t)
	at := time.Date(2026, 1, 5, 15, 0, 0, 0, time.UTC)
	applies := 0
	apply := func() error {
		return db.Write(func(tx *Tx) error {
			seen, err := tx.EventApplied("evt_1")
			if err != nil || seen {
				return err
			}
			applies++
			return tx.MarkEventApplied("evt_1", at)
		})
	}
	for range 3 {
		if err := apply(); err != nil {
			t.Fatal(err)
		}
	}
	if applies != 1 {
		t.Fatalf("applied %d times, want 1", applies)
	}
	err := db.Write(func(tx *Tx) error { return tx.MarkEventApplied("evt_1", at) })
	if bot.ErrorCode(err) != bot.ECONFLICT {
		t.Fatalf("marking twice: %v, want a conflict", err)
	}
}

func TestEventMarkRolledBackIsNotApplied(t *testing.T) {
	db := openTest(t)
	boom := errors.New("boom")
	err := db.Write(func(tx *Tx) error {
		if err := tx.MarkEventApplied("evt_2", time.Now()); err != nil {
			return err
		}
		return boom // e.g. saving the client failed: Stripe will retry
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	err = db.Read(func(tx *Tx) error {
		seen, err := tx.EventApplied("evt_2")
		if seen {
			t.Error("a rolled-back event counts as applied")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestEventIDRequiredAndPrune(t *testing.T) {
	db := openTest(t)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	err := db.Write(func(tx *Tx) error {
		if _, err := tx.EventApplied(""); bot.ErrorCode(err) != bot.EINVALID {
			t.Errorf("empty id: %v", err)
		}
		if err := tx.MarkEventApplied("evt_old", t0); err != nil {
			return err
		}
		if err := tx.MarkEventApplied("evt_new", t0.AddDate(0, 1, 0)); err != nil {
			return err
		}
		n, err := tx.PruneEvents(t0.AddDate(0, 0, 15))
		if n != 1 {
			t.Errorf("pruned %d, want 1", n)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Read(func(tx *Tx) error {
		old, _ := tx.EventApplied("evt_old")
		kept, _ := tx.EventApplied("evt_new")
		if old || !kept {
			t.Errorf("after prune: old %v new %v", old, kept)
		}
		return nil
	})
}
