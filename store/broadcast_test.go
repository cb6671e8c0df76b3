package store

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"nudges/bot"
)

// The hand encoder must write exactly what encoding/json writes, so that
// every reader of the outbox and the log sees the same rows either way.
func TestBulkEncoderMatchesEncodingJSON(t *testing.T) {
	now := time.Date(2026, 1, 5, 15, 0, 0, 123456789, time.UTC)
	msgs := []bot.OutMessage{
		{ID: 7, To: "+15550001111", Body: "Sunrise Yoga: Class at 7 <b>&\"quoted\"\\\nReply STOP to opt out.", Kind: bot.KindAnnouncement,
			Priority: bot.PriorityBulk, Status: bot.StatusQueued, NextAt: now, AnnouncementID: 3, CreatedAt: now, UpdatedAt: now},
		{ID: 8, To: "+15550002222", Body: "Yoga Amanecer: ¡Clase! 🧘\u2028", Kind: bot.KindAnnouncement, Status: bot.StatusQueued,
			Simulated: true, CreatedAt: now, UpdatedAt: now},
		{ID: 11, To: "+15550005555", From: "+18335550100", Body: "Own number", Kind: bot.KindAnnouncement, Status: bot.StatusQueued,
			AnnouncementID: 5, CreatedAt: now, UpdatedAt: now},
		{ID: 10, To: "+15550004444", Body: "Pic", Kind: bot.KindAnnouncement, Status: bot.StatusQueued,
			MediaURL: "https://n.test/m/Ab9?x=<&>", AnnouncementID: 4, CreatedAt: now, UpdatedAt: now},
		{ID: 9, To: "+15550003333", Body: "x", Kind: bot.KindReply, Status: bot.StatusQueued, Tries: 2, SID: "SM1", Error: "e"},
	}
	enc := bulkEncoder{strings: map[string][]byte{}}
	for _, m := range msgs {
		got, err := enc.message(&m)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(m)
		if string(got) != string(want) {
			t.Errorf("message\n got %s\nwant %s", got, want)
		}
		sub := bot.Subscription{Keyword: "YOGA", Phone: m.To, JoinedAt: now.Add(-time.Hour), NoticeAt: m.NextAt}
		gotSub, _ := json.Marshal(sub)
		if string(enc.subscription(sub)) != string(gotSub) {
			t.Errorf("subscription\n got %s\nwant %s", enc.subscription(sub), gotSub)
		}
	}
}

// Announcements reach the conversation log when sent, not when queued.
func TestEnqueueBulkQueuesAndLogsOnSend(t *testing.T) {
	db, err := openPath(t, filepath.Join(t.TempDir(), "n.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2026, 1, 5, 15, 0, 0, 0, time.UTC)
	msgs := []bot.OutMessage{
		{To: "+15550001111", Body: "A: hi", Kind: bot.KindAnnouncement, Priority: bot.PriorityBulk, AnnouncementID: 1, NextAt: now, CreatedAt: now, UpdatedAt: now},
		{To: "+15550002222", Body: "A: hola", Kind: bot.KindAnnouncement, Priority: bot.PriorityBulk, AnnouncementID: 1, NextAt: now, CreatedAt: now, UpdatedAt: now},
	}
	if err := db.Write(func(tx *Tx) error { return tx.EnqueueBulk(msgs) }); err != nil {
		t.Fatal(err)
	}
	claimed, _, err := (&bot.Lifecycle{Store: db}).Claim(now, 10, nil)
	if err != nil || len(claimed) != 2 {
		t.Fatalf("claimed %d, %v", len(claimed), err)
	}
	logged := func(want int) {
		t.Helper()
		err := db.Read(func(tx *Tx) error {
			for i, m := range msgs {
				got, err := tx.OutMessage(m.ID)
				if err != nil || got == nil || got.To != m.To || got.Body != m.Body || got.AnnouncementID != 1 || claimed[i].ID != m.ID {
					t.Errorf("row %d: %+v %v", m.ID, got, err)
				}
				log, err := tx.LogOf(m.To, 5)
				if err != nil || len(log) != want || (want > 0 && (log[0].Body != m.Body || log[0].Dir != bot.DirOut)) {
					t.Errorf("log of %s: %+v %v; want %d entries", m.To, log, err, want)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	logged(0)
	outs := []bot.Outcome{{ID: msgs[0].ID, Status: bot.StatusSent, SID: "SMa", Tries: 1}, {ID: msgs[1].ID, Status: bot.StatusSent, SID: "SMb", Tries: 1}}
	err = (&bot.Lifecycle{Store: db}).Record(now, outs)
	logged(1)
	if err != nil {
		t.Fatal(err)
	}
}
