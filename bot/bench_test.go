package bot_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"

	"nudges/bot"
	"nudges/flows"
	"nudges/locales"
	"nudges/store"
)

// Benchmarks of one engine turn: the real Brain (flows) and a real bbolt
// file, with the subscriber traffic mix the load command sends.
//
// go test ./bot -run '^$' -bench 'Engine' -benchtime 3s

// benchWords is the traffic mix: joins, lists, leaves, help, noise.
var benchWords = []string{"JOIN YOGA", "LIST", "YOGA", "LEAVE", "HELP", "hello?", "LIST", "JOIN BAKERY", "LEAVE ALL", "thanks"}

func benchEngine(b *testing.B) (*bot.Engine, *store.DB) {
	b.Helper()
	db, err := store.Open(filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	err = db.Update(func(tx bot.Tx) error {
		for i, kw := range []string{"YOGA", "BAKERY"} {
			c := &bot.Client{Phone: bot.Phone(fmt.Sprintf("+1555999000%d", i)), Keyword: kw,
				Name: kw + " club", Status: bot.ClientActive, CreatedAt: dispT0}
			if err := tx.PutClient(c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	brain := &flows.Brain{ServiceNumber: "+15550000000", PublicURL: "http://localhost:8080", Support: "http://localhost:8080/help"}
	e := &bot.Engine{Store: db, Brain: brain, Clock: bot.NewFixedClock(dispT0), T: locales.MustLoad(),
		DefaultLocale: bot.English, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	return e, db
}

// inbound is the i-th message of the mix: 1,000 phones, each texting the
// words in turn.
func inbound(i int) bot.Inbound {
	return bot.Inbound{SID: fmt.Sprintf("SM%032x", i), From: phone(i % 1000), To: "+15550000000",
		Body: benchWords[(i/1000)%len(benchWords)]}
}

// BenchmarkEngineTurn is one caller: every turn waits for its own commit
// (bbolt Batch with one caller commits after MaxBatchDelay, 2 ms).
func BenchmarkEngineTurn(b *testing.B) {
	e, _ := benchEngine(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.Handle(ctx, inbound(i)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "turns/s")
}

// BenchmarkEngineTurnParallel is many phones at once: concurrent turns share
// one commit (bbolt Batch), which is what the server does under load.
func BenchmarkEngineTurnParallel(b *testing.B) {
	for _, par := range []int{8, 32, 128} {
		b.Run(fmt.Sprintf("goroutines=%d", par*2), func(b *testing.B) {
			e, _ := benchEngine(b)
			ctx := context.Background()
			var seq atomic.Int64
			b.ReportAllocs()
			b.SetParallelism(par)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := e.Handle(ctx, inbound(int(seq.Add(1)))); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "turns/s")
		})
	}
}

// rollback is a bot.Store whose writes run in a real bbolt transaction that
// is then rolled back: the turn's CPU cost without the commit and fsync.
type rollback struct{ db *store.DB }

var errRollback = errors.New("rolled back on purpose")

func (r rollback) View(fn func(bot.Tx) error) error   { return r.db.View(fn) }
func (r rollback) Update(fn func(bot.Tx) error) error { return r.Batch(fn) }
func (r rollback) TxLimit() int                       { return r.db.TxLimit() }
func (r rollback) Batch(fn func(bot.Tx) error) error {
	return r.db.Update(func(tx bot.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return errRollback
	})
}

// BenchmarkEngineTurnNoCommit is the turn's work alone (decode, flows,
// encode, bbolt page work), every write rolled back.
func BenchmarkEngineTurnNoCommit(b *testing.B) {
	e, db := benchEngine(b)
	e.Store = rollback{db}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.Handle(ctx, inbound(i)); !errors.Is(err, errRollback) {
			b.Fatalf("turn %d: %v, want the rollback", i, err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "turns/s")
}

// BenchmarkEngineReplay is a retried MessageSid: the stored reply, no turn.
func BenchmarkEngineReplay(b *testing.B) {
	e, _ := benchEngine(b)
	ctx := context.Background()
	first, err := e.Handle(ctx, inbound(0))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := e.Handle(ctx, inbound(0))
		if err != nil || r != first {
			b.Fatalf("replay: %q, %v; want %q", r.Text, err, first.Text)
		}
	}
}
