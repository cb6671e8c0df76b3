package store

import (
	"path/filepath"
	"testing"
	"time"

	"nudges/bot"
)

// A kept API answer is found by key and Idempotency-Key, and Prune
// forgets it after bot.IdempotencyKeep, not before.
func TestAnswersKeptADay(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "n.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	at := time.Date(2026, 3, 30, 15, 0, 0, 0, time.UTC)
	err = db.Write(func(tx *Tx) error {
		return tx.PutAnswer("key_1", "idem-1", bot.Answer{At: at, Fingerprint: "f", Status: 201, Body: []byte(`{}`)})
	})
	if err != nil {
		t.Fatal(err)
	}
	answer := func() *bot.Answer {
		var a *bot.Answer
		if err := db.Read(func(tx *Tx) error { a, err = tx.Answer("key_1", "idem-1"); return err }); err != nil {
			t.Fatal(err)
		}
		return a
	}
	if a := answer(); a == nil || a.Status != 201 || string(a.Body) != "{}" {
		t.Fatalf("answer %+v", a)
	}
	if _, err := db.Prune(at.Add(23 * time.Hour)); err != nil || answer() == nil {
		t.Fatalf("pruned before a day: %v", err)
	}
	if _, err := db.Prune(at.Add(25 * time.Hour)); err != nil || answer() != nil {
		t.Fatalf("kept after a day: %v", err)
	}
}
