package bot_test

import (
	"path/filepath"
	"testing"

	"nudges/bot"
	"nudges/store"
)

func TestSenderRatesByNumber(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "n.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	clients := []*bot.Client{
		{Phone: "+15550001111", Keyword: "YOGA", Own: &bot.OwnNumber{Phone: "+18335550100", Kind: bot.NumberTollFree, State: bot.NumberReady}},
		{Phone: "+15550002222", Keyword: "BAKE", Own: &bot.OwnNumber{Phone: "+12125550100", Kind: bot.NumberLocal, State: bot.NumberReady}},
		{Phone: "+15550003333", Keyword: "GYM", Own: &bot.OwnNumber{Phone: "+18445550100", Kind: bot.NumberTollFree, State: bot.NumberReady, Rate: 12}},
	}
	err = db.Update(func(tx bot.Tx) error {
		for _, c := range clients {
			if err := tx.PutClient(c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	r := bot.SenderRates{Service: 50, Local: 1, TollFree: 3, Store: db}
	for from, want := range map[bot.Phone]float64{
		"": 50, "+18335550100": 3, "+12125550100": 1, "+18445550100": 12,
		"+18885550199": 1, // no client owns it: a long code's pace
	} {
		if got := r.Rate(from); got != want {
			t.Errorf("rate of %q = %v, want %v", from, got, want)
		}
	}
}
