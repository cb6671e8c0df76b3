package store

import (
	"testing"

	"nudges/bot"
)

// A client read twice is decoded once (the second read is a copy of the
// first decode); a caller changing the record it got changes nothing
// stored or cached; a write is seen by the next read, in the same
// transaction and after it.
func TestClientCacheByBytes(t *testing.T) {
	db := openTest(t)
	c := &bot.Client{Phone: "+15550001111", Name: "Yoga club", Keyword: "YOGA", Status: bot.ClientActive, CreatedAt: t0,
		Own: &bot.OwnNumber{State: bot.NumberState("ready"), History: []bot.NumberEvent{{At: t0, Text: "ready"}}}}
	if err := db.Write(func(tx *Tx) error { return tx.PutClient(c) }); err != nil {
		t.Fatal(err)
	}
	read := func() *bot.Client {
		t.Helper()
		var got *bot.Client
		if err := db.Read(func(tx *Tx) error {
			var err error
			got, err = tx.ClientByKeyword("YOGA")
			return err
		}); err != nil || got == nil {
			t.Fatalf("read: %v, %v", got, err)
		}
		return got
	}
	first := read()
	first.Name, first.Own.History[0].Text = "changed by a caller", "changed"
	second := read()
	if second == first || second.Name != "Yoga club" || second.Own.History[0].Text != "ready" {
		t.Fatalf("second read %p (first %p): %q, %q", second, first, second.Name, second.Own.History[0].Text)
	}
	db.clients.mu.Lock()
	cached := len(db.clients.m)
	db.clients.mu.Unlock()
	if cached != 1 {
		t.Fatalf("%d cached records, want 1", cached)
	}
	err := db.Write(func(tx *Tx) error {
		c, err := tx.ClientByKeyword("YOGA")
		if err != nil {
			return err
		}
		c.Name = "Yoga studio"
		if err := tx.PutClient(c); err != nil {
			return err
		}
		again, err := tx.ClientByKeyword("YOGA")
		if err == nil && again.Name != "Yoga studio" {
			t.Errorf("in the writing transaction: %q", again.Name)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := read(); got.Name != "Yoga studio" {
		t.Fatalf("after the write: %q", got.Name)
	}
}
