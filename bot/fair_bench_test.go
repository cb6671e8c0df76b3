package bot_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"nudges/bot"
	"nudges/store"
)

// benchList queues announcement rows of n phones on keyword from sender
// from, subscribing them, in transactions of at most 10,000 rows.
func benchList(b *testing.B, db *store.DB, from bot.Phone, keyword string, n int) uint64 {
	b.Helper()
	now := time.Now()
	a := &bot.Announcement{Client: phone(9_000_000), Keyword: keyword, Text: "news", Total: n, CreatedAt: now,
		Counts: map[bot.MessageStatus]int{bot.StatusQueued: n}}
	if err := db.Update(func(tx bot.Tx) error { return tx.PutAnnouncement(a) }); err != nil {
		b.Fatal(err)
	}
	for start := 0; start < n; start += 10_000 {
		err := db.Update(func(tx bot.Tx) error {
			var msgs []bot.OutMessage
			for i := start; i < min(start+10_000, n); i++ {
				if _, err := tx.Subscribe(keyword, phone(i), now); err != nil {
					return err
				}
				msgs = append(msgs, bot.OutMessage{To: phone(i), From: from, Body: "Sunrise Yoga: class moved to 6pm today",
					Kind: bot.KindAnnouncement, Priority: bot.PriorityBulk, AnnouncementID: a.ID, CreatedAt: now, UpdatedAt: now})
			}
			return tx.EnqueueBulk(msgs)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return a.ID
}

func benchDB(b *testing.B) *store.DB {
	db, err := store.Open(filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

func ownNumber(i int) bot.Phone { return bot.Phone(fmt.Sprintf("+1833555%04d", i)) }

// BenchmarkDispatchSenders is the dispatcher's cost per message, unpaced
// (instant sender, real store): 1,000 announcements of 10 each, all from
// one sender, and the same from 1,000 senders (one announcement each), so
// that only the number of senders differs.
func BenchmarkDispatchSenders(b *testing.B) {
	for _, senders := range []int{1, 1000} {
		b.Run(fmt.Sprintf("senders=%d", senders), func(b *testing.B) {
			const total, lists = 10_000, 1000
			var elapsed time.Duration
			for range b.N {
				b.StopTimer()
				db := benchDB(b)
				for s := range lists {
					from := bot.Phone("")
					if senders > 1 {
						from = ownNumber(s % senders)
					}
					benchList(b, db, from, fmt.Sprintf("K%04d", s), total/lists)
				}
				d := bot.NewDispatcher(&bot.Lifecycle{Store: db}, &instantSender{}, &instantSender{}, 0)
				d.Log = slog.New(slog.DiscardHandler)
				b.StartTimer()
				start := time.Now()
				if err := d.Drain(context.Background()); err != nil {
					b.Fatal(err)
				}
				elapsed += time.Since(start)
			}
			b.ReportMetric(float64(elapsed.Nanoseconds())/float64(total*b.N), "ns/msg")
			b.ReportMetric(float64(total*b.N)/elapsed.Seconds(), "msgs/s")
		})
	}
}

// lastSends records, per announcement, how many went and when the last did.
type lastSends struct {
	mu   sync.Mutex
	n    map[uint64]int
	last map[uint64]time.Time
	all  atomic.Int64
}

func (s *lastSends) Send(_ context.Context, m bot.OutMessage) (string, error) {
	s.mu.Lock()
	s.n[m.AnnouncementID]++
	s.last[m.AnnouncementID] = time.Now()
	s.mu.Unlock()
	return fmt.Sprintf("SM%032d", s.all.Add(1)), nil
}

func (s *lastSends) get(ann uint64) (int, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n[ann], s.last[ann]
}

// runUntil runs d until done reports true (polled every 5 ms) or a minute
// passes, then stops it.
func runUntil(b *testing.B, d *bot.Dispatcher, done func() bool) {
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- d.Run(ctx) }()
	for deadline := time.Now().Add(time.Minute); !done() && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-stopped; err != nil {
		b.Fatal(err)
	}
	if !done() {
		b.Fatal("not done within a minute")
	}
}

// BenchmarkFairness is the fairness figure on the wall clock: a
// 1,500-person announcement, then a second later a 10-person one from the
// same sender, at 50 segments a second; reported is the time from the
// small one's CONFIRM (its rows queued) to its last send. First in, first
// out, it was 29.2 s.
func BenchmarkFairness(b *testing.B) {
	var total time.Duration
	for range b.N {
		db := benchDB(b)
		benchList(b, db, "", "BIG", 1500)
		s := &lastSends{n: map[uint64]int{}, last: map[uint64]time.Time{}}
		d := bot.NewDispatcher(&bot.Lifecycle{Store: db}, s, s, 50)
		d.Log = slog.New(slog.DiscardHandler)
		var small atomic.Uint64
		var confirmed time.Time
		go func() {
			time.Sleep(time.Second)
			confirmed = time.Now()
			small.Store(benchList(b, db, "", "SMALL", 10))
			d.Kick()
		}()
		runUntil(b, d, func() bool {
			n, _ := s.get(small.Load())
			return small.Load() != 0 && n == 10
		})
		_, last := s.get(small.Load())
		total += last.Sub(confirmed)
	}
	b.ReportMetric((total / time.Duration(b.N)).Seconds(), "s-to-last-small")
}

// BenchmarkThousandClients: 1,000 clients each on its own number, one
// announcing to a big list and 999 to 20 each, every number at 2 segments
// a second (scaled down from 1,000,000 and 100 at 1/s to run in about a
// minute: the aggregate 2,000 segments/s is what the dispatcher must keep
// up). Reported: the slowest small list's time to its last send, against
// its own size ÷ its rate (10 s); the target is that + 2 s.
func BenchmarkThousandClients(b *testing.B) {
	const big, small, rate = 100_000, 20, 2.0
	var worst time.Duration
	for range b.N {
		db := benchDB(b)
		var smalls []uint64
		benchList(b, db, ownNumber(0), "BIG", big)
		for i := 1; i < 1000; i++ {
			smalls = append(smalls, benchList(b, db, ownNumber(i), fmt.Sprintf("K%04d", i), small))
		}
		s := &lastSends{n: map[uint64]int{}, last: map[uint64]time.Time{}}
		d := bot.NewDispatcher(&bot.Lifecycle{Store: db}, s, s, 0)
		d.Log = slog.New(slog.DiscardHandler)
		d.Rates = func(bot.Phone) float64 { return rate }
		start := time.Now()
		runUntil(b, d, func() bool {
			for _, a := range smalls {
				if n, _ := s.get(a); n < small {
					return false
				}
			}
			return true
		})
		for _, a := range smalls {
			_, last := s.get(a)
			worst = max(worst, last.Sub(start))
		}
	}
	b.ReportMetric(worst.Seconds(), "s-slowest-small")
	b.ReportMetric(float64(small)/rate, "s-own-size/rate")
}
