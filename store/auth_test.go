package store

import (
	"bytes"
	"testing"
	"time"

	"nudges/bot"
)

var authT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestAuthSecretIsCreatedOnceAndKept(t *testing.T) {
	db := openTest(t)
	if err := db.Read(func(tx *Tx) error { _, err := tx.AuthSecret(); return err }); err == nil {
		t.Fatal("read transaction made a secret")
	}
	var first, second []byte
	for _, dst := range []*[]byte{&first, &second} {
		err := db.Write(func(tx *Tx) error {
			s, err := tx.AuthSecret()
			*dst = s
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(first) != 32 || !bytes.Equal(first, second) {
		t.Fatalf("secret not stable: %x vs %x", first, second)
	}
}

func TestOTPRecordRoundTrip(t *testing.T) {
	db := openTest(t)
	type rec struct{ State string }
	p := bot.Phone("+15550001111")
	err := db.Write(func(tx *Tx) error {
		var r rec
		if ok, err := tx.OTPRecord(p, "203.0.113.1", &r); ok || err != nil {
			t.Fatalf("missing record: %v %v", ok, err)
		}
		return tx.PutOTPRecord(p, "203.0.113.1", rec{State: "sent"})
	})
	if err != nil {
		t.Fatal(err)
	}
	var got rec
	err = db.Read(func(tx *Tx) error { _, err := tx.OTPRecord(p, "203.0.113.1", &got); return err })
	if err != nil || got.State != "sent" {
		t.Fatalf("got %+v, %v", got, err)
	}
	err = db.Read(func(tx *Tx) error {
		if ok, err := tx.OTPRecord(p, "198.51.100.2", &rec{}); ok || err != nil {
			t.Fatalf("another address shares the record: %v %v", ok, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestSessionsExpireAndPrune(t *testing.T) {
	db := openTest(t)
	err := db.Write(func(tx *Tx) error {
		if err := tx.PutSession("old", Session{Phone: "+1", ExpiresAt: authT0}); err != nil {
			return err
		}
		return tx.PutSession("new", Session{Phone: "+2", ExpiresAt: authT0.Add(time.Hour)})
	})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	err = db.Write(func(tx *Tx) error {
		var err error
		n, err = tx.PruneSessions(authT0)
		return err
	})
	if err != nil || n != 1 {
		t.Fatalf("pruned %d, %v", n, err)
	}
	err = db.Write(func(tx *Tx) error {
		if s, _ := tx.Session("old"); s != nil {
			t.Error("expired session kept")
		}
		if s, _ := tx.Session("new"); s == nil || s.Phone != "+2" {
			t.Errorf("live session = %+v", s)
		}
		if err := tx.DeleteSession("new"); err != nil {
			return err
		}
		if s, _ := tx.Session("new"); s != nil {
			t.Error("deleted session still there")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestCountHitWindows(t *testing.T) {
	db := openTest(t)
	hit := func(at time.Time) int {
		var n int
		if err := db.Write(func(tx *Tx) error {
			var err error
			n, err = tx.CountHit("ip:127.0.0.1", at, time.Hour)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for i := 1; i <= 3; i++ {
		if got := hit(authT0.Add(time.Duration(i) * time.Minute)); got != i {
			t.Fatalf("hit %d counted %d", i, got)
		}
	}
	var seen int
	_ = db.Read(func(tx *Tx) error {
		seen, _ = tx.Hits("ip:127.0.0.1", authT0.Add(30*time.Minute), time.Hour)
		return nil
	})
	if seen != 3 {
		t.Fatalf("Hits = %d", seen)
	}
	if got := hit(authT0.Add(61 * time.Minute)); got != 1 {
		t.Fatalf("new window counted %d", got)
	}
}
