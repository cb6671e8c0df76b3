package e2e

import (
	"crypto/rand"
	"fmt"
	"os"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"nudges/bot"
	"nudges/store"
)

// The client most scenarios broadcast for: Sunrise Yoga, keyword YOGA.
const (
	Client     = "+15550009999"
	ClientName = "Sunrise Yoga"
)

// Update runs fn in one write transaction on the bbolt file at path
// (created if missing), closed again before it returns.
func Update(t testing.TB, path string, fn func(tx bot.Tx) error) {
	t.Helper()
	withFile(t, path, func(db *store.DB) error { return db.Update(fn) })
}

// Read runs fn in one read transaction on the bbolt file at path, closed
// again before it returns (a server can then open it).
func Read(t testing.TB, path string, fn func(tx *store.Tx) error) {
	t.Helper()
	withFile(t, path, func(db *store.DB) error { return db.Read(fn) })
}

// View runs fn in one read transaction of the domain's view on the bbolt
// file at path, closed again before it returns.
func View(t testing.TB, path string, fn func(tx bot.Tx) error) {
	t.Helper()
	withFile(t, path, func(db *store.DB) error { return db.View(fn) })
}

func withFile(t testing.TB, path string, fn func(db *store.DB) error) {
	t.Helper()
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := fn(db); err != nil {
		t.Fatal(err)
	}
}

// SeedList writes the plan Starter and the active client with n
// subscribers +1555200nnnn into the bbolt file at path, and returns them.
func SeedList(t testing.TB, path string, n int) []bot.Phone {
	t.Helper()
	var subs []bot.Phone
	Update(t, path, func(tx bot.Tx) error {
		now := time.Now().UTC()
		p := &bot.Plan{Name: "Starter", PriceMinor: 900, Currency: "usd", Interval: bot.Month, Quota: 30, Active: true, CreatedAt: now}
		if err := tx.PutPlan(p); err != nil {
			return err
		}
		c := &bot.Client{Phone: Client, Name: ClientName, Keyword: "YOGA", Status: bot.ClientActive, PlanID: p.ID,
			PeriodStart: now, PeriodEnd: now.AddDate(0, 1, 0), CreatedAt: now, LiveAt: now, Locale: bot.English}
		if err := tx.PutClient(c); err != nil {
			return err
		}
		for i := range n {
			phone := bot.Phone(fmt.Sprintf("+1555200%04d", i))
			conv := &bot.Conversation{Phone: phone, Locale: bot.English, FirstSeen: now, LastSeen: now}
			if err := tx.PutConversation(conv); err != nil {
				return err
			}
			if _, err := tx.Subscribe("YOGA", phone, now); err != nil {
				return err
			}
			subs = append(subs, phone)
		}
		return nil
	})
	return subs
}

// TwoClients seeds active clients YOGA and BAKERY without plans.
func TwoClients(tx bot.Tx) error {
	now := time.Now()
	for i, kw := range []string{"YOGA", "BAKERY"} {
		c := &bot.Client{Phone: bot.Phone(fmt.Sprintf("+1555999000%d", i)), Keyword: kw, Name: kw + " club",
			Status: bot.ClientActive, CreatedAt: now, LiveAt: now}
		if err := tx.PutClient(c); err != nil {
			return err
		}
	}
	return nil
}

// FillToMapping seeds path with the client and ballast until bbolt's high
// water mark is within margin of the file's size, a power of two: the
// running server's mapping is then full, and its next growth must remap.
func FillToMapping(t testing.TB, path string, size, margin int64) {
	t.Helper()
	SeedList(t, path, 0)
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	chunk := make([]byte, 32<<10)
	for i := 0; ; i++ {
		var used int64
		err := db.Update(func(tx *bolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists([]byte("ballast"))
			if err != nil {
				return err
			}
			rand.Read(chunk)
			used = tx.Size()
			return b.Put(fmt.Appendf(nil, "%08d", i), chunk)
		})
		if err != nil {
			t.Fatal(err)
		}
		if used >= size-margin {
			break
		}
	}
	if st, err := os.Stat(path); err != nil || st.Size() != size {
		t.Fatalf("seeded file: %v %v, want %d bytes", st.Size(), err, size)
	}
}
