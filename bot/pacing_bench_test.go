package bot_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"nudges/bot"
	"nudges/locales"
	"nudges/store"
)

// stampSender records when each message went and its segments.
type stampSender struct {
	mu    sync.Mutex
	at    []time.Time
	parts []int
}

func (s *stampSender) Send(_ context.Context, m bot.OutMessage) (string, error) {
	n, _ := bot.Segments(m.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.at = append(s.at, time.Now())
	s.parts = append(s.parts, n)
	return "SM" + strconv.Itoa(len(s.at)), nil
}

// BenchmarkPacing60s runs the real dispatcher on the wall clock at 50
// segments per second for 60 s (NUDGES_PACING_SECONDS overrides) and
// reports the segments per second achieved over that window and the error
// against the configured rate. One message in five is two segments long.
//
//	go test ./bot -run '^$' -bench Pacing60s -benchtime 1x
func BenchmarkPacing60s(b *testing.B) {
	const rate = 50.0
	window := 60 * time.Second
	if s, err := strconv.Atoi(os.Getenv("NUDGES_PACING_SECONDS")); err == nil && s > 0 {
		window = time.Duration(s) * time.Second
	}
	for range b.N {
		db, err := store.Open(filepath.Join(b.TempDir(), "pacing.db"))
		if err != nil {
			b.Fatal(err)
		}
		n := int(rate*window.Seconds()) + 200
		err = db.Write(func(tx *store.Tx) error {
			for j := range n {
				body := "Sunrise Yoga: class moved to 6pm today"
				if j%5 == 4 {
					body = strings.Repeat("Two segments. ", 14) // 196 GSM-7 characters
				}
				m := &bot.OutMessage{To: phone(j), Body: body, Kind: bot.KindAnnouncement,
					Priority: bot.PriorityBulk, NextAt: time.Now(), CreatedAt: time.Now()}
				if err := tx.Enqueue(m); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		s := &stampSender{}
		d := bot.NewDispatcher(bot.NewLifecycle(db, locales.MustLoad()), s, s, rate)
		d.Log = slog.New(slog.DiscardHandler)
		ctx, cancel := context.WithTimeout(context.Background(), window+5*time.Second)
		d.Run(ctx)
		cancel()
		db.Close()
		s.mu.Lock()
		if len(s.at) == 0 {
			b.Fatal("nothing sent")
		}
		// Segments whose send started within [first, first+window): after
		// the pacer's initial burst allowance, this is the steady rate.
		first, segs := s.at[0], 0
		for i, at := range s.at {
			if at.Sub(first) < window {
				segs += s.parts[i]
			}
		}
		s.mu.Unlock()
		got := float64(segs) / window.Seconds()
		b.ReportMetric(got, "segments/s")
		b.ReportMetric(100*(got-rate)/rate, "error-%")
	}
}
