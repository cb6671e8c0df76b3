package store

import (
	"fmt"
	"testing"
	"time"

	"nudges/bot"
)

// Threads come latest activity first, in pages, keep their last
// ThreadKeep messages, and go with an erase of the subscriber's phone.
func TestThreads(t *testing.T) {
	db := openTest(t)
	client, other := bot.Phone("+15550009999"), bot.Phone("+1555000999")
	err := db.Update(func(tx bot.Tx) error {
		for n := 1; n <= 3; n++ {
			if err := tx.PutHandle(client, bot.Phone(fmt.Sprintf("+1555000100%d", n)), n); err != nil {
				return err
			}
			if err := tx.AppendThread(client, n, bot.ThreadMessage{At: t0.Add(time.Duration(n) * time.Minute), In: true, Text: "hi"}); err != nil {
				return err
			}
		}
		for i := range bot.ThreadKeep + 2 { // #1 talks last, and long
			if err := tx.AppendThread(client, 1, bot.ThreadMessage{At: t0.Add(time.Hour + time.Duration(i)*time.Second), Text: fmt.Sprint(i)}); err != nil {
				return err
			}
		}
		return tx.AppendThread(other, 1, bot.ThreadMessage{At: t0.Add(2 * time.Hour), Text: "other"})
	})
	if err != nil {
		t.Fatal(err)
	}
	db.View(func(tx bot.Tx) error {
		page, err := tx.ThreadsOf(client, bot.ThreadCursor{}, 2)
		if err != nil || len(page) != 2 || page[0].N != 1 || page[1].N != 3 {
			t.Fatalf("first page: %+v, %v", page, err)
		}
		if m := page[0].Messages; len(m) != bot.ThreadKeep || m[len(m)-1].Text != fmt.Sprint(bot.ThreadKeep+1) || m[0].Text != "2" {
			t.Errorf("#1 keeps %+v", m)
		}
		rest, _ := tx.ThreadsOf(client, bot.ThreadCursor{At: page[1].At, N: page[1].N}, 2)
		if len(rest) != 1 || rest[0].N != 2 {
			t.Errorf("second page: %+v", rest)
		}
		return nil
	})
	err = db.Write(func(tx *Tx) error { return tx.eraseHandles("+15550001001") })
	if err != nil {
		t.Fatal(err)
	}
	db.View(func(tx bot.Tx) error {
		page, _ := tx.ThreadsOf(client, bot.ThreadCursor{}, 10)
		if th, _ := tx.Thread(client, 1); th != nil || len(page) != 2 || page[0].N != 3 {
			t.Errorf("after erasing #1: %+v, %+v", th, page)
		}
		return nil
	})
}

// Replies are counted per announcement.
func TestCountReply(t *testing.T) {
	db := openTest(t)
	db.Update(func(tx bot.Tx) error {
		tx.CountReply(4)
		tx.CountReply(4)
		tx.CountReply(5)
		return nil
	})
	db.View(func(tx bot.Tx) error {
		if a, _ := tx.Replies(4); a != 2 {
			t.Errorf("replies to 4: %d", a)
		}
		if b, _ := tx.Replies(6); b != 0 {
			t.Errorf("replies to 6: %d", b)
		}
		return nil
	})
}
