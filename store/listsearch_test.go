package store

import (
	"testing"

	"nudges/bot"
)

// ListSearch pages one list's phones starting with the digits searched, in
// phone order from a cursor, and never returns another list's members.
func TestListSearchPagesOneListByPrefix(t *testing.T) {
	db := openTest(t)
	err := db.Write(func(tx *Tx) error {
		for _, s := range []struct {
			kw string
			p  bot.Phone
		}{{"YOGA", "+15551000001"}, {"YOGA", "+15551000002"}, {"YOGA", "+15551000003"}, {"YOGA", "+15552000001"},
			{"YOGAX", "+15551000004"}, {"GYM", "+15551000005"}} {
			if _, err := tx.Subscribe(s.kw, s.p, consentT0); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	phones := func(rows []ListRow) (out []bot.Phone) {
		for _, r := range rows {
			out = append(out, r.Phone)
		}
		return out
	}
	db.Read(func(tx *Tx) error {
		for _, c := range []struct {
			digits string
			after  bot.Phone
			n      int
			want   []bot.Phone
		}{
			{"", "", 10, []bot.Phone{"+15551000001", "+15551000002", "+15551000003", "+15552000001"}},
			{"1555100", "", 2, []bot.Phone{"+15551000001", "+15551000002"}},
			{"1555100", "+15551000002", 2, []bot.Phone{"+15551000003"}},
			{"1555200", "+15551000002", 2, []bot.Phone{"+15552000001"}}, // a cursor before the prefix
			{"1555100000", "", 10, []bot.Phone{"+15551000001", "+15551000002", "+15551000003"}},
			{"44", "", 10, nil},
		} {
			rows, err := tx.ListSearch("YOGA", c.digits, c.after, c.n)
			if got := phones(rows); err != nil || !slicesEqual(got, c.want) {
				t.Errorf("ListSearch(YOGA, %q, %q, %d) = %v %v, want %v", c.digits, c.after, c.n, got, err, c.want)
			}
		}
		return nil
	})
}

func slicesEqual(a, b []bot.Phone) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
