package store

import (
	"testing"
	"time"

	"nudges/bot"
)

// A client's index holds its announcements and scheduled ones, newest id
// first, in pages, and never a neighbour's (one phone a prefix of another);
// a scheduled one keeps the id it was given when it starts.
func TestAnnouncementsOfClient(t *testing.T) {
	db := openTest(t)
	a, b := bot.Phone("+1555000999"), bot.Phone("+15550009999")
	var sch bot.Scheduled
	err := db.Update(func(tx bot.Tx) error {
		for i := range 3 {
			for _, p := range []bot.Phone{a, b} {
				if err := tx.PutAnnouncement(&bot.Announcement{Client: p, Text: "x", CreatedAt: t0.Add(time.Duration(i) * time.Minute)}); err != nil {
					return err
				}
			}
		}
		sch = bot.Scheduled{Client: a, Keyword: "A", Text: "later", At: t0.Add(time.Hour)}
		return tx.PutScheduled(&sch)
	})
	if err != nil {
		t.Fatal(err)
	}
	if sch.Announcement != 7 {
		t.Fatalf("scheduled entry got announcement id %d, want 7 (the next one)", sch.Announcement)
	}
	db.View(func(tx bot.Tx) error {
		refs, err := tx.AnnouncementsOf(a, 0, 2)
		if err != nil || len(refs) != 2 || refs[0] != (bot.AnnouncementRef{ID: 7, Scheduled: sch.ID}) || refs[1].ID != 5 {
			t.Errorf("first page of a: %+v, %v", refs, err)
		}
		refs, _ = tx.AnnouncementsOf(a, 5, 10)
		if len(refs) != 2 || refs[0].ID != 3 || refs[1].ID != 1 {
			t.Errorf("second page of a: %+v", refs)
		}
		refs, _ = tx.AnnouncementsOf(b, 0, 10)
		if len(refs) != 3 || refs[0].ID != 6 || refs[2].ID != 2 {
			t.Errorf("b: %+v", refs)
		}
		return nil
	})
	err = db.Update(func(tx bot.Tx) error { // the scheduler starts it
		if _, err := tx.DeleteScheduled(sch.ID); err != nil {
			return err
		}
		return tx.PutAnnouncement(&bot.Announcement{ID: sch.Announcement, Client: a, Text: "later"})
	})
	if err != nil {
		t.Fatal(err)
	}
	db.View(func(tx bot.Tx) error {
		refs, _ := tx.AnnouncementsOf(a, 0, 1)
		if len(refs) != 1 || refs[0] != (bot.AnnouncementRef{ID: 7}) {
			t.Errorf("after it started: %+v", refs)
		}
		return nil
	})
}

// A file from schema 6 gets its announcements and scheduled ones indexed
// when it is opened.
func TestClientAnnsMigration(t *testing.T) {
	skipOnEtcd(t) // an old bbolt file's layout
	db, path := openTestPath(t)
	var sch bot.Scheduled
	err := db.Update(func(tx bot.Tx) error {
		if err := tx.PutAnnouncement(&bot.Announcement{Client: "+15550009999", Text: "old"}); err != nil {
			return err
		}
		sch = bot.Scheduled{Client: "+15550009999", Text: "soon", At: t0}
		return tx.PutScheduled(&sch)
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Write(func(tx *Tx) error { // as schema 6 left it: no index, no id ahead
		sch.Announcement = 0
		if err := tx.putJSON(bScheduled, itob(sch.ID), &sch); err != nil {
			return err
		}
		return clearBucket(tx.b(bClientAnns))
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	setSchema(t, path, 6)
	db, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.View(func(tx bot.Tx) error {
		refs, err := tx.AnnouncementsOf("+15550009999", 0, 10)
		s, _ := tx.Scheduled(sch.ID)
		if err != nil || len(refs) != 2 || refs[1].ID != 1 || s == nil || refs[0] != (bot.AnnouncementRef{ID: s.Announcement, Scheduled: sch.ID}) {
			t.Errorf("after migration: %+v %+v, %v", refs, s, err)
		}
		return nil
	})
}
