package bot_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"nudges/bot"
)

// BenchmarkTurnWebhooks is a JOIN turn (which queues subscriber.joined)
// with 0, 1 and 10 endpoints of the client registered, every write rolled
// back: what the webhook rows add to an inbound turn's own work.
//
// go test ./bot -run '^$' -bench TurnWebhooks -benchtime 2s
func BenchmarkTurnWebhooks(b *testing.B) {
	for _, n := range []int{0, 1, 10} {
		b.Run(fmt.Sprintf("endpoints=%d", n), func(b *testing.B) {
			e, db := benchEngine(b)
			err := db.Update(func(tx bot.Tx) error {
				for range n {
					ep := &bot.HookEndpoint{Owner: "+15559990000", URL: "https://hooks.example.com/", Events: bot.HookEvents,
						Secret: bot.NewHookSecret(), Enabled: true, CreatedAt: dispT0}
					if err := tx.PutHookEndpoint(ep); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			e.Store = rollback{db}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				in := bot.Inbound{SID: fmt.Sprintf("SM%032x", i), From: phone(i % 1000), To: "+15550000000", Body: "JOIN YOGA"}
				if _, err := e.Handle(ctx, in); !errors.Is(err, errRollback) {
					b.Fatalf("turn %d: %v, want the rollback", i, err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "turns/s")
		})
	}
}
