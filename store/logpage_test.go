package store

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"nudges/bot"
)

// TestLogPageNewestFirst: a phone's log reads newest first in pages that
// neither skip nor repeat an entry, and stop at the phone's first entry
// (another phone's entries never leak in); a forged cursor is refused.
func TestLogPageNewestFirst(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "n.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	p, other := bot.Phone("+15550001111"), bot.Phone("+15550001112")
	err = db.Update(func(tx bot.Tx) error {
		for i := range 7 {
			for _, ph := range []bot.Phone{p, other} {
				if err := tx.(*Tx).AppendLog(bot.LogEntry{Phone: ph, At: t0.Add(time.Duration(i) * time.Minute), Dir: "in", Body: string(ph) + fmt.Sprint(i)}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	cursor, pages := "", 0
	for {
		var page []bot.LogEntry
		err := db.View(func(tx bot.Tx) error {
			var err error
			page, cursor, err = tx.(*Tx).LogPage(p, cursor, 3)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, e := range page {
			got = append(got, e.Body)
		}
		if cursor == "" || pages > 5 {
			break
		}
	}
	want := fmt.Sprint([]string{string(p) + "6", string(p) + "5", string(p) + "4", string(p) + "3", string(p) + "2", string(p) + "1", string(p) + "0"})
	if fmt.Sprint(got) != want || pages != 3 {
		t.Errorf("pages %d: %v\nwant %s", pages, got, want)
	}
	err = db.View(func(tx bot.Tx) error {
		_, _, err := tx.(*Tx).LogPage(p, "zz", 3)
		return err
	})
	if err != ErrBadCursor {
		t.Errorf("forged cursor: %v", err)
	}
}
