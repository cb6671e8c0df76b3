package store

import (
	"testing"
	"time"

	"nudges/bot"
)

// seedConsole writes two clients, a plan, three phones on lists (one joined
// 40 days ago, two in the window), an opted-out phone and two announcements.
func seedConsole(t *testing.T, db *DB, now time.Time) {
	t.Helper()
	err := db.Write(func(tx *Tx) error {
		plan := &bot.Plan{Name: "Starter", Currency: "usd", Interval: bot.Month, Quota: 30, Active: true}
		if err := tx.PutPlan(plan); err != nil {
			return err
		}
		for _, c := range []bot.Client{
			{Phone: "+15550000001", Name: "Yoga", Keyword: "YOGA", Status: bot.ClientActive, PlanID: plan.ID},
			{Phone: "+15550000002", Name: "bakery", Keyword: "BREAD", Status: bot.ClientSuspended, ResumeStatus: bot.ClientPastDue},
		} {
			if err := tx.PutClient(&c); err != nil {
				return err
			}
		}
		joins := []struct {
			kw string
			p  bot.Phone
			at time.Time
		}{
			{"YOGA", "+15551110001", now.AddDate(0, 0, -40)},
			{"YOGA", "+15551110002", now.AddDate(0, 0, -2)},
			{"BREAD", "+15551110002", now.AddDate(0, 0, -1)},
			{"YOGA", "+15552220003", now},
		}
		for _, j := range joins {
			if _, err := tx.Subscribe(j.kw, j.p, j.at); err != nil {
				return err
			}
			if err := tx.PutConversation(&bot.Conversation{Phone: j.p, Locale: "en", FirstSeen: j.at}); err != nil {
				return err
			}
		}
		if err := tx.PutConversation(&bot.Conversation{Phone: "+15553330004", OptedOut: true}); err != nil {
			return err
		}
		old := &bot.Announcement{Client: "+15550000001", Keyword: "YOGA", Total: 9, CreatedAt: now.AddDate(0, 0, -45),
			Counts: map[bot.MessageStatus]int{bot.StatusDelivered: 9}}
		recent := &bot.Announcement{Client: "+15550000001", Keyword: "YOGA", Text: "Class moved", Total: 4, CreatedAt: now.Add(-time.Hour),
			Counts: map[bot.MessageStatus]int{bot.StatusDelivered: 2, bot.StatusFailed: 1, bot.StatusQueued: 1}}
		for _, a := range []*bot.Announcement{old, recent} {
			if err := tx.PutAnnouncement(a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

var queryNow = time.Date(2026, 3, 30, 15, 0, 0, 0, time.UTC)

func TestDashboard(t *testing.T) {
	db := openTest(t)
	seedConsole(t, db, queryNow)
	var s *DashboardStats
	if err := db.Read(func(tx *Tx) error { var err error; s, err = tx.Dashboard(queryNow, 30); return err }); err != nil {
		t.Fatal(err)
	}
	if s.Subscribers != 3 || s.Subscriptions != 4 || s.Phones != 4 || s.OptedOut != 1 {
		t.Errorf("people: %+v", s)
	}
	if s.Clients != 2 || s.ClientsByStatus[bot.ClientActive] != 1 || s.ClientsByStatus[bot.ClientSuspended] != 1 {
		t.Errorf("clients: %v", s.ClientsByStatus)
	}
	if s.Announcements != 1 || s.Messages != 4 || s.Counts[bot.StatusDelivered] != 2 {
		t.Errorf("announcements: %d %d %v", s.Announcements, s.Messages, s.Counts)
	}
	if got := s.DeliveryRate(); got < 66.6 || got > 66.7 {
		t.Errorf("delivery rate = %v, want 2 of 3", got)
	}
	if len(s.Growth) != 30 {
		t.Fatalf("growth has %d days", len(s.Growth))
	}
	first, last := s.Growth[0], s.Growth[29]
	if !first.Day.Equal(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)) || first.Total != 1 {
		t.Errorf("first day %+v", first)
	}
	if !last.Day.Equal(time.Date(2026, 3, 30, 0, 0, 0, 0, time.UTC)) || last.Total != 4 || last.Joined != 1 {
		t.Errorf("last day %+v", last)
	}
	if s.Growth[27].Total != 2 || s.Growth[28].Total != 3 {
		t.Errorf("middle days %+v %+v", s.Growth[27], s.Growth[28])
	}
}

func TestDeliveryRateWithNothingSent(t *testing.T) {
	s := &DashboardStats{Counts: map[bot.MessageStatus]int{bot.StatusQueued: 3}}
	if s.DeliveryRate() != -1 {
		t.Fatal("rate of queued-only messages should be unknown")
	}
}

func TestClientRowsAndSearch(t *testing.T) {
	db := openTest(t)
	seedConsole(t, db, queryNow)
	err := db.Read(func(tx *Tx) error {
		rows, err := tx.ClientRows()
		if err != nil {
			return err
		}
		if len(rows) != 2 || rows[0].Name != "bakery" || rows[0].ResumeStatus != bot.ClientPastDue || rows[1].PlanName != "Starter" {
			t.Errorf("client rows %+v", rows)
		}
		found, n, err := tx.PhonePage(PhoneQuery{Prefix: "1555111", Limit: 10})
		if err != nil {
			return err
		}
		if n != 2 || len(found) != 2 || found[1].Phone != "+15551110002" || len(found[1].Lists) != 2 {
			t.Errorf("search: %d %+v", n, found)
		}
		all, total, _ := tx.PhonePage(PhoneQuery{Limit: 3})
		if len(all) != 3 || total <= 3 {
			t.Errorf("limit: %d rows of %d", len(all), total)
		}
		none, n, _ := tx.PhonePage(PhoneQuery{Prefix: "+44", Limit: 10})
		if len(none) != 0 || n != 0 {
			t.Errorf("wrong prefix found %d", len(none))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRecentAnnouncementsAndOutbox(t *testing.T) {
	db := openTest(t)
	seedConsole(t, db, queryNow)
	err := db.Write(func(tx *Tx) error {
		for i, to := range []bot.Phone{"+1555", "+1666", "+1555"} {
			if err := tx.Enqueue(&bot.OutMessage{To: to, Body: string(rune('a' + i))}); err != nil {
				return err
			}
		}
		as, err := tx.RecentAnnouncements(1)
		if err != nil || len(as) != 1 || as[0].Text != "Class moved" {
			t.Errorf("recent announcements %+v %v", as, err)
		}
		ms, err := tx.RecentOutboxTo("+1555", 10, 100)
		if err != nil || len(ms) != 2 || ms[0].Body != "c" || ms[1].Body != "a" {
			t.Errorf("outbox to +1555: %+v %v", ms, err)
		}
		ms, _ = tx.RecentOutboxTo("+1555", 10, 1)
		if len(ms) != 1 {
			t.Errorf("scan limit ignored: %d", len(ms))
		}
		p, err := tx.PlanByName("starter")
		if err != nil || p == nil || p.Quota != 30 {
			t.Errorf("plan by name %+v %v", p, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
