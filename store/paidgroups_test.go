package store

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"nudges/bot"
)

// TestPaidGroupsFollowPayingMembers: the paid count is kept by phone
// prefix like the list's, and follows a member who starts paying, stops
// paying and leaves (a removal passes no Paid and is uncounted under the
// key it was counted under).
func TestPaidGroupsFollowPayingMembers(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "n.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	phones := []bot.Phone{"+12125550100", "+12125550101", "+19075550100", "+34911234567"}
	check := func(wantN int, want []bot.PhoneGroup) {
		t.Helper()
		err := db.View(func(tx bot.Tx) error {
			n, err := tx.PaidCount("YOGA")
			if err != nil {
				return err
			}
			groups, err := tx.PaidGroups("YOGA")
			if n != wantN || !reflect.DeepEqual(groups, want) {
				t.Errorf("PaidCount %d, PaidGroups %v; want %d, %v", n, groups, wantN, want)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	write := func(fn func(tx *Tx) error) {
		t.Helper()
		if err := db.Write(fn); err != nil {
			t.Fatal(err)
		}
	}
	write(func(tx *Tx) error {
		for i, p := range phones {
			if _, err := tx.Subscribe("YOGA", p, at); err != nil {
				return err
			}
			if i < 3 { // the fourth is on the list and does not pay
				if err := tx.PutSubscription(bot.Subscription{Keyword: "YOGA", Phone: p, JoinedAt: at, Paid: "sub_" + string(p)}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	pre := func(p bot.Phone) string { return string(p[:bot.ZonePrefixLen]) }
	check(3, []bot.PhoneGroup{{Prefix: pre(phones[0]), N: 2}, {Prefix: pre(phones[2]), N: 1}})
	write(func(tx *Tx) error { // one stops paying, one leaves
		if err := tx.PutSubscription(bot.Subscription{Keyword: "YOGA", Phone: phones[0], JoinedAt: at}); err != nil {
			return err
		}
		_, err := tx.Unsubscribe("YOGA", phones[2])
		return err
	})
	check(1, []bot.PhoneGroup{{Prefix: pre(phones[1]), N: 1}})
}
