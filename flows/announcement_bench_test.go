package flows

import (
	"context"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"nudges/bot"
	"nudges/locales"
	"nudges/store"
)

// BenchmarkConfirm100k measures CONFIRM to a list of 100,000 subscribers
// (a fifth of them Spanish, all due the opt-out line): the whole turn, from
// the inbound text until the announcement, the count, the draft and the
// 100,000 outbox rows are committed. Run it with
//
//	go test ./flows -run '^$' -bench Confirm100k -benchtime 3x
func BenchmarkConfirm100k(b *testing.B) {
	const n = 100_000
	db, err := store.Open(filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	clock := bot.NewFixedClock(Start)
	client := bot.MustPhone(yogaPhone)
	if err := seedList(db, client, n, clock.Now()); err != nil {
		b.Fatal(err)
	}
	engine := &bot.Engine{Store: db, Brain: &Brain{ServiceNumber: "+15550000000"}, Clock: clock, T: locales.MustLoad(), DefaultLocale: bot.English}
	ctx := context.Background()
	var total, cpu, best time.Duration
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		clock.Advance(31 * 24 * time.Hour) // every subscriber is due the opt-out line again
		if _, err := engine.Handle(ctx, bot.Inbound{From: client, Body: fmt.Sprintf("Class %d is on at 7 tonight, bring a mat!", i)}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start, cpu0 := time.Now(), cpuTime()
		r, err := engine.Handle(ctx, bot.Inbound{From: client, Body: "CONFIRM"})
		took := time.Since(start)
		total, cpu = total+took, cpu+cpuTime()-cpu0
		if best == 0 || took < best {
			best = took
		}
		b.Logf("CONFIRM %d: %v wall, list of %d", i, took, n)
		if err != nil {
			b.Fatal(err)
		}
		if want := fmt.Sprintf("Sending now to %d ", n); len(r.Text) < len(want) || r.Text[:len(want)] != want {
			b.Fatalf("reply %q", r.Text)
		}
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s/commit")
	b.ReportMetric(best.Seconds(), "best-s/commit")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/commit")
	b.ReportMetric(float64(n)*float64(b.N)/total.Seconds(), "rows/s")
}

// seedList creates an active client with a large plan and n subscribers,
// one in five Spanish, in one transaction.
func seedList(db *store.DB, client bot.Phone, n int, now time.Time) error {
	return db.Write(func(tx *store.Tx) error {
		p := &bot.Plan{Name: "Bench", Quota: 1_000_000, Interval: bot.Month, Active: true}
		if err := tx.PutPlan(p); err != nil {
			return err
		}
		c := &bot.Client{Phone: client, Name: "Sunrise Yoga", Keyword: "YOGA", Status: bot.ClientActive,
			PlanID: p.ID, PeriodStart: now, PeriodEnd: now.AddDate(1, 0, 0), CreatedAt: now}
		if err := tx.PutClient(c); err != nil {
			return err
		}
		for i := range n {
			phone := bot.Phone(fmt.Sprintf("+1555%07d", i))
			conv := &bot.Conversation{Phone: phone, Locale: bot.English, FirstSeen: now, LastSeen: now}
			if i%5 == 0 {
				conv.Locale = bot.Spanish
			}
			if err := tx.PutConversation(conv); err != nil {
				return err
			}
			if _, err := tx.Subscribe("YOGA", phone, now); err != nil {
				return err
			}
		}
		return nil
	})
}

// cpuTime is the CPU the process has used (user and system): on a machine
// shared with other work it says more than the wall clock.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
