package store

import (
	"testing"
	"time"

	"nudges/bot"
)

// A counted click queues link.clicked for the announcement's client (and
// nothing for a click that is not counted); no endpoint, no row.
func TestCountedClickQueuesLinkClicked(t *testing.T) {
	db := openTest(t)
	now := time.Date(2026, 1, 5, 15, 0, 0, 0, time.UTC)
	const owner bot.Phone = "+15550009999"
	e := &bot.HookEndpoint{Owner: owner, URL: "https://h.example.com/", Events: []string{bot.HookLinkClicked}, Enabled: true}
	err := db.Write(func(tx *Tx) error {
		a := &bot.Announcement{Client: owner, Keyword: "YOGA", Text: "see https://x.com/a", CreatedAt: now}
		if err := tx.PutAnnouncement(a); err != nil {
			return err
		}
		if err := tx.PutHookEndpoint(e); err != nil {
			return err
		}
		return tx.PutLinks(a.ID, []bot.Link{{Code: "abc", URL: "https://x.com/a"}})
	})
	if err != nil {
		t.Fatal(err)
	}
	db.FollowLink("abc", "v1", true, now, time.Hour)
	db.FollowLink("abc", "v1", true, now.Add(time.Minute), time.Hour) // same visitor: not counted
	db.FollowLink("abc", "v2", false, now, time.Hour)                 // a preview fetcher
	var rows []bot.HookDelivery
	db.Read(func(tx *Tx) error { rows, err = tx.HookDeliveries(e.ID, 10); return err })
	if len(rows) != 1 || rows[0].Type != bot.HookLinkClicked || rows[0].Owner != owner {
		t.Fatalf("rows %+v", rows)
	}
}

// HookTargets with no endpoint reads nothing but the two prefixes, and
// picks the owner's and the admins' endpoints that want the event.
func TestHookTargets(t *testing.T) {
	db := openTest(t)
	mk := func(owner bot.Phone, on bool, evs ...string) {
		db.Write(func(tx *Tx) error {
			return tx.PutHookEndpoint(&bot.HookEndpoint{Owner: owner, URL: "https://h.example.com/", Events: evs, Enabled: on})
		})
	}
	mk("+15550001", true, bot.HookSubscriberJoined)
	mk("+15550001", false, bot.HookSubscriberJoined)
	mk("+155500010", true, bot.HookSubscriberJoined) // a longer phone with the same prefix
	mk("+15550002", true, bot.HookSubscriberJoined)
	mk(bot.HookAdmin, true, bot.HookSubscriberJoined, bot.HookSubscriberLeft)
	count := func(owner bot.Phone, typ string) int {
		var n int
		db.Read(func(tx *Tx) error { eps, err := tx.HookTargets(owner, typ); n = len(eps); return err })
		return n
	}
	for _, c := range []struct {
		owner bot.Phone
		typ   string
		want  int
	}{
		{"+15550001", bot.HookSubscriberJoined, 2}, // its enabled one and the admin's
		{"+15550001", bot.HookSubscriberLeft, 1},   // the admin's
		{"+15550003", bot.HookReplyReceived, 0},
		{"", bot.HookSubscriberJoined, 1},
		{bot.HookAdmin, bot.HookSubscriberJoined, 1},
	} {
		if got := count(c.owner, c.typ); got != c.want {
			t.Errorf("%s %s: %d targets, want %d", c.owner, c.typ, got, c.want)
		}
	}
}

// Settled rows older than the cut-off go; pending and newer rows stay.
func TestPruneHookDeliveries(t *testing.T) {
	db := openTest(t)
	now := time.Date(2026, 1, 5, 15, 0, 0, 0, time.UTC)
	for i, st := range []string{bot.HookDelivered, bot.HookFailed, bot.HookPending, bot.HookDelivered} {
		at := now.Add(-40 * 24 * time.Hour)
		if i == 3 {
			at = now
		}
		d := &bot.HookDelivery{MsgID: "m", Endpoint: 1, Status: st, CreatedAt: at, NextAt: at}
		db.Write(func(tx *Tx) error { return tx.PutHookDelivery(d) })
	}
	n, err := db.PruneHookDeliveries(now.Add(-30 * 24 * time.Hour))
	var left []bot.HookDelivery
	db.Read(func(tx *Tx) error { left, _ = tx.HookDeliveries(0, 10); return nil })
	if err != nil || n != 2 || len(left) != 2 || left[0].ID != 4 || left[1].Status != bot.HookPending {
		t.Fatalf("pruned %d (%v), left %+v", n, err, left)
	}
	var due []uint64
	db.Read(func(tx *Tx) error { due, _ = tx.DueHookDeliveries(now, 10); return nil })
	if len(due) != 1 || due[0] != 3 {
		t.Fatalf("due %v", due)
	}
}
