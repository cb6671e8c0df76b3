package store

import (
	"testing"
	"time"

	"nudges/bot"
)

// A list's growth counts its own members only (YOGA is a prefix of
// YOGAX's keys: the scan must stop at the keyword's end).
func TestListGrowthCountsOneList(t *testing.T) {
	db := openTest(t)
	err := db.Write(func(tx *Tx) error {
		for i, j := range []struct {
			kw    string
			phone string
			ago   int
		}{{"YOGA", "+15550000001", 200}, {"YOGA", "+15550000002", 10}, {"YOGA", "+15550000003", 0},
			{"YOGAX", "+15550000004", 5}, {"GYM", "+15550000005", 1}} {
			if _, err := tx.Subscribe(j.kw, bot.MustPhone(j.phone), queryNow.AddDate(0, 0, -j.ago).Add(time.Duration(i))); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var g []DayCount
	if err := db.Read(func(tx *Tx) error { g, err = tx.ListGrowth("YOGA", queryNow, 90); return err }); err != nil {
		t.Fatal(err)
	}
	if len(g) != 90 || g[0].Total != 1 || g[79].Total != 2 || g[89].Total != 3 || g[89].Joined != 1 || g[78].Total != 1 {
		t.Errorf("YOGA growth: first %+v, day 80 %+v, last %+v", g[0], g[79], g[89])
	}
}
