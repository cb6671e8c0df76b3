package bot_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"nudges/bot"
	"nudges/flows"
	"nudges/locales"
)

// BenchmarkTurnsDuringFanOut: 16 phones' turns (the load mix) on one bbolt
// file, first alone, then while a fan-out to 100,000 runs; it reports the
// turns' p99 in both phases and their ratio (both phases share the
// machine's load, so the ratio moves less than either), and the fan-out's
// rows/s. Bounded: one fan-out, 3,000 turns before it, at most 60 s.
//
//	go test ./bot -run '^$' -bench TurnsDuringFanOut -benchtime 1x
func BenchmarkTurnsDuringFanOut(b *testing.B) {
	const subscribers, phones, before = 100_000, 16, 3000
	for range b.N {
		db, _ := fanListB(b, subscribers)
		brain := &flows.Brain{ServiceNumber: "+15550000000", PublicURL: "http://localhost:8080", Support: "http://localhost:8080/help"}
		e := &bot.Engine{Store: db, Brain: brain, Clock: bot.NewFixedClock(fanT0), T: locales.MustLoad(),
			DefaultLocale: bot.English, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
		var seq atomic.Int64
		turns := func(stop func(int) bool) []time.Duration {
			lat := make([][]time.Duration, phones)
			var wg sync.WaitGroup
			for w := range phones {
				wg.Go(func() {
					for i := int(seq.Add(1)); !stop(i); i = int(seq.Add(1)) {
						t0 := time.Now()
						if _, err := e.Handle(context.Background(), inbound(i)); err != nil {
							b.Error(err)
							return
						}
						lat[w] = append(lat[w], time.Since(t0))
					}
				})
			}
			wg.Wait()
			all := slices.Concat(lat...)
			slices.Sort(all)
			return all
		}
		alone := turns(func(i int) bool { return i > before })
		id := startAnnouncementB(b, db)
		f := newFanOut(db, bot.NewFixedClock(fanT0), 0)
		var finished atomic.Bool
		began := time.Now()
		var took time.Duration
		go func() {
			for done := false; !done && time.Since(began) < time.Minute; {
				var err error
				if done, err = f.Step(id); err != nil {
					b.Error(err)
					break
				}
			}
			took = time.Since(began)
			finished.Store(true)
		}()
		during := turns(func(int) bool { return finished.Load() })
		p99 := func(d []time.Duration) float64 {
			if len(d) == 0 {
				return 0
			}
			return float64(d[len(d)*99/100].Microseconds()) / 1000
		}
		p50 := func(d []time.Duration) float64 {
			if len(d) == 0 {
				return 0
			}
			return float64(d[len(d)/2].Microseconds()) / 1000
		}
		b.ReportMetric(p50(alone), "p50-before-ms")
		b.ReportMetric(p50(during), "p50-during-ms")
		b.ReportMetric(p99(alone), "p99-before-ms")
		b.ReportMetric(p99(during), "p99-during-ms")
		b.ReportMetric(p99(during)/p99(alone), "p99-ratio")
		b.ReportMetric(float64(len(during)), "turns-during")
		b.ReportMetric(float64(subscribers)/took.Seconds(), "rows/s")
		db.Close()
	}
	b.ReportMetric(0, "ns/op")
}
