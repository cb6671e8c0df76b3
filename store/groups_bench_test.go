package store

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"nudges/bot"
)

// BenchmarkListGroupsManyExchanges reads the phone groups of a list spread
// over 320,000 exchanges (+1 NPA NXX), what a CONFIRM with the send window
// on reads at worst for a North American list. Run it with
//
//	go test ./store -run '^$' -bench ListGroupsManyExchanges -benchtime 5x
func BenchmarkListGroupsManyExchanges(b *testing.B) {
	db, err := Open(filepath.Join(b.TempDir(), "n.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var subs []bot.Subscription
	for npa := 200; npa < 1000; npa++ {
		for nxx := 200; nxx < 1000; nxx += 2 {
			subs = append(subs, bot.Subscription{Keyword: "YOGA", Phone: bot.Phone(fmt.Sprintf("+1%03d%03d0100", npa, nxx)), JoinedAt: time.Unix(0, 0)})
		}
	}
	for i := 0; i < len(subs); i += 20_000 {
		chunk := subs[i:min(i+20_000, len(subs))]
		if err := db.Write(func(tx *Tx) error { _, err := tx.AddSubscriptions(chunk); return err }); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for range b.N {
		err := db.Read(func(tx *Tx) error {
			gs, err := tx.ListGroups("YOGA")
			if err == nil && len(gs) != len(subs) {
				err = fmt.Errorf("%d groups, want %d", len(gs), len(subs))
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
