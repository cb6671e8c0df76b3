package metrics

import (
	"testing"
	"time"

	"nudges/bot"
)

// BenchmarkObserveTurn is what metrics add to one inbound turn: an outcome
// counter, the turn histogram and one commit's histogram.
func BenchmarkObserveTurn(b *testing.B) {
	m := New(failingSource{}, "", "v-test")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Inbound(bot.TurnReply, 3*time.Millisecond)
			m.Commit(time.Millisecond)
		}
	})
}
