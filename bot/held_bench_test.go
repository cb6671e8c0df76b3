package bot_test

import (
	"fmt"
	"testing"
	"time"

	"nudges/bot"
)

// BenchmarkSplitManyExchanges is the CONFIRM split's worst case in North
// America: a list spread over 320,000 exchanges (+1 NPA NXX), one group
// each, as ListGroups would return for a million phones scattered over the
// whole continent. Run it with
//
//	go test ./bot -run '^$' -bench SplitManyExchanges -benchtime 5x
func BenchmarkSplitManyExchanges(b *testing.B) {
	var groups []bot.PhoneGroup
	for npa := 200; npa < 1000; npa++ {
		for nxx := 200; nxx < 1000; nxx += 2 {
			groups = append(groups, bot.PhoneGroup{Prefix: fmt.Sprintf("+1%03d%03d", npa, nxx), N: 3})
		}
	}
	w := bot.NewSendWindow(bot.DefaultWindow, nil)
	now := time.Date(2026, 3, 8, 14, 0, 0, 0, time.UTC)
	b.ResetTimer()
	for i := range b.N {
		sendNow, later := w.Split(groups, now.Add(time.Duration(i)*time.Minute))
		if sendNow+later != 3*len(groups) {
			b.Fatalf("split %d + %d of %d", sendNow, later, 3*len(groups))
		}
	}
	b.ReportMetric(float64(len(groups)), "groups")
}
