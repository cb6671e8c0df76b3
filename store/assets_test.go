package store

import (
	"errors"
	"testing"
	"time"

	"nudges/bot"
)

func TestFollowLinkCountsOncePerVisitorAndWindow(t *testing.T) {
	db := openTest(t)
	now := time.Date(2026, 1, 5, 15, 0, 0, 0, time.UTC)
	links := []bot.Link{{Code: "abc", URL: "https://x.com/a"}, {Code: "def", URL: "https://x.com/b"}}
	if err := db.Write(func(tx *Tx) error { return tx.PutLinks(7, links) }); err != nil {
		t.Fatal(err)
	}
	err := db.Write(func(tx *Tx) error { return tx.PutLinks(8, links[:1]) })
	if !errors.Is(err, ErrCodeTaken) {
		t.Fatalf("a taken code: %v", err)
	}
	follow := func(code, visitor string, count bool, at time.Duration) {
		t.Helper()
		u, found, err := db.FollowLink(code, visitor, count, now.Add(at), time.Hour)
		if err != nil || !found || u == "" {
			t.Fatalf("follow %s: %q %v %v", code, u, found, err)
		}
	}
	follow("abc", "ip1|ua", true, 0)
	follow("abc", "ip1|ua", true, 59*time.Minute) // same visitor within the hour
	follow("abc", "ip1|other", true, time.Minute) // another browser
	follow("abc", "ip1|ua", true, 61*time.Minute) // the hour has passed
	follow("abc", "ip9|bot", false, 0)            // a preview fetcher
	follow("def", "ip1|ua", true, 0)              // another link: counted on its own
	var clicks, one int
	db.Read(func(tx *Tx) error {
		clicks, _ = tx.Clicks(links)
		one, _ = tx.Clicks(links[:1])
		return nil
	})
	if clicks != 4 || one != 3 {
		t.Errorf("clicks %d (abc %d), want 4 (3)", clicks, one)
	}
	if _, found, err := db.FollowLink("nope", "ip1|ua", true, now, time.Hour); found || err != nil {
		t.Errorf("unknown code: %v %v", found, err)
	}
	marks := func() (n int) {
		db.Read(func(tx *Tx) error { n = tx.b(bClickSeen).Stats().KeyN; return nil })
		return n
	}
	if marks() != 3 {
		t.Fatalf("%d click marks, want 3 (two visitors on abc, one on def)", marks())
	}
	if _, err := db.Prune(now.Add(61 * time.Minute)); err != nil || marks() != 1 {
		t.Errorf("after prune: %d marks (%v), want only the one made at 61 min", marks(), err)
	}
}

func TestPruneAssetsKeepsPicturesWithTheirAnnouncement(t *testing.T) {
	db := openTest(t)
	t0 := time.Date(2026, 1, 5, 15, 0, 0, 0, time.UTC)
	for _, tok := range []string{"draftonly", "claimed", "done"} {
		if err := db.KeepPicture(bot.Media{Token: tok, Type: "image/png", Size: 3}, []byte("png"), t0); err != nil {
			t.Fatal(err)
		}
	}
	err := db.Write(func(tx *Tx) error {
		sending := &bot.Announcement{Total: 2, CreatedAt: t0}
		done := &bot.Announcement{Total: 1, Settled: 1, CreatedAt: t0, DoneAt: t0.Add(time.Hour)}
		for tok, a := range map[string]*bot.Announcement{"claimed": sending, "done": done} {
			if err := tx.PutAnnouncement(a); err != nil {
				return err
			}
			if err := tx.ClaimMedia(tok, a.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	db.FollowLink("x", "v", true, t0, time.Hour) // unknown: leaves no mark
	kept := func(at time.Time) map[string]bool {
		if _, err := db.Prune(at); err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for _, tok := range []string{"draftonly", "claimed", "done"} {
			_, _, found, err := db.Picture(tok)
			if err != nil {
				t.Fatal(err)
			}
			out[tok] = found
		}
		return out
	}
	if k := kept(t0.Add(time.Hour)); !k["draftonly"] || !k["claimed"] || !k["done"] {
		t.Errorf("after an hour: %v, want all kept", k)
	}
	if k := kept(t0.Add(3 * time.Hour)); k["draftonly"] || !k["claimed"] || !k["done"] {
		t.Errorf("after 3 hours: %v, want the unclaimed draft's picture gone", k)
	}
	if k := kept(t0.Add(time.Hour + PictureKeep + time.Minute)); !k["claimed"] || k["done"] {
		t.Errorf("past the keep: %v, want the done announcement's picture gone, the sending one's kept", k)
	}
}
