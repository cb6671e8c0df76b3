package store

import (
	"testing"
	"time"

	"nudges/bot"
)

// Forwards are counted and forgotten per client, whatever the neighbours'
// keys (one phone a prefix of another).
func TestForwardsPerClient(t *testing.T) {
	db := openTest(t)
	a, b := bot.Phone("+1555000999"), bot.Phone("+15550009999")
	err := db.Update(func(tx bot.Tx) error {
		for i := range 5 {
			at := t0.Add(time.Duration(i) * 10 * time.Minute)
			if err := tx.AddForward(a, at); err != nil {
				return err
			}
			if err := tx.AddForward(b, at); err != nil {
				return err
			}
		}
		if err := tx.AddForward(a, t0.Add(40*time.Minute)); err != nil { // same instant twice
			return err
		}
		if n, _ := tx.ForwardsSince(a, t0.Add(20*time.Minute)); n != 4 {
			t.Errorf("a since +20m: %d, want 4", n)
		}
		if err := tx.DropForwardsBefore(a, t0.Add(30*time.Minute)); err != nil {
			return err
		}
		if n, _ := tx.ForwardsSince(a, time.Time{}); n != 3 {
			t.Errorf("a after dropping: %d, want 3", n)
		}
		if n, _ := tx.ForwardsSince(b, time.Time{}); n != 5 {
			t.Errorf("b: %d, want 5 (untouched)", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestHandlesBothWays(t *testing.T) {
	db := openTest(t)
	c1, c2, p := bot.Phone("+15550009999"), bot.Phone("+15550008888"), bot.Phone("+15550001111")
	err := db.Update(func(tx bot.Tx) error {
		if err := tx.PutHandle(c1, p, 12); err != nil {
			return err
		}
		if n, _ := tx.Handle(c1, p); n != 12 {
			t.Errorf("handle %d", n)
		}
		if n, _ := tx.Handle(c2, p); n != 0 {
			t.Errorf("other client's handle %d", n)
		}
		if got, _ := tx.HandlePhone(c1, 12); got != p {
			t.Errorf("phone %q", got)
		}
		if got, _ := tx.HandlePhone(c2, 12); got != "" {
			t.Errorf("other client's phone %q", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The schedule is in due order, per client, and deleting takes an entry
// out of both indexes; rescheduling moves it.
func TestScheduledIndex(t *testing.T) {
	db := openTest(t)
	c1, c2 := bot.Phone("+15550009999"), bot.Phone("+15550008888")
	err := db.Update(func(tx bot.Tx) error {
		late := &bot.Scheduled{Client: c1, Text: "late", At: t0.Add(2 * time.Hour)}
		early := &bot.Scheduled{Client: c1, Text: "early", At: t0.Add(time.Hour)}
		other := &bot.Scheduled{Client: c2, Text: "other", At: t0.Add(90 * time.Minute)}
		for _, s := range []*bot.Scheduled{late, early, other} {
			if err := tx.PutScheduled(s); err != nil {
				return err
			}
		}
		if s, _ := tx.NextScheduled(); s == nil || s.Text != "early" {
			t.Errorf("next %+v", s)
		}
		list, _ := tx.ScheduledOf(c1)
		if len(list) != 2 || list[0].Text != "early" || list[1].Text != "late" {
			t.Errorf("c1's %+v", list)
		}
		early.At = t0.Add(3 * time.Hour)
		if err := tx.PutScheduled(early); err != nil {
			return err
		}
		if s, _ := tx.NextScheduled(); s == nil || s.Text != "other" {
			t.Errorf("after moving early: next %+v", s)
		}
		if ok, err := tx.DeleteScheduled(other.ID); !ok || err != nil {
			t.Errorf("delete: %v %v", ok, err)
		}
		if ok, _ := tx.DeleteScheduled(other.ID); ok {
			t.Error("deleted twice")
		}
		if s, _ := tx.NextScheduled(); s == nil || s.Text != "late" {
			t.Errorf("after delete: next %+v", s)
		}
		list, _ = tx.ScheduledOf(c1)
		if len(list) != 2 || list[0].Text != "late" {
			t.Errorf("c1's after moving %+v", list)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// An erased phone's handles are gone: "#n" finds nobody, and a new handle
// could never point at it.
func TestEraseForgetsHandles(t *testing.T) {
	db := openTest(t)
	c1, c2, p, q := bot.Phone("+15550009999"), bot.Phone("+15550008888"), bot.Phone("+15550001111"), bot.Phone("+15550002222")
	err := db.Update(func(tx bot.Tx) error {
		for _, h := range []struct {
			c, p bot.Phone
			n    int
		}{{c1, p, 1}, {c2, p, 4}, {c1, q, 2}} {
			if err := tx.PutHandle(h.c, h.p, h.n); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Erase(p); err != nil {
		t.Fatal(err)
	}
	db.View(func(tx bot.Tx) error {
		for _, c := range []struct {
			c bot.Phone
			n int
		}{{c1, 1}, {c2, 4}} {
			if got, _ := tx.HandlePhone(c.c, c.n); got != "" {
				t.Errorf("%s #%d still %s", c.c, c.n, got)
			}
		}
		if n, _ := tx.Handle(c1, p); n != 0 {
			t.Errorf("handle still %d", n)
		}
		if got, _ := tx.HandlePhone(c1, 2); got != q {
			t.Errorf("another phone's handle lost: %q", got)
		}
		return nil
	})
}
