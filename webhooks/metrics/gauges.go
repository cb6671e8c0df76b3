package metrics

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"nudges/bot"
)

// gauges reads the store once per scrape.
type gauges struct {
	src                                  Source
	outbox, waiting, subscribers, client *prometheus.Desc
	numbers, bySender                    *prometheus.Desc
}

func newGauges(src Source) *gauges {
	return &gauges{
		src: src,
		outbox: prometheus.NewDesc("nudges_outbox_queued_messages",
			"Outbound messages waiting in the outbox, by priority (high: replies and login codes; bulk: announcements).",
			[]string{"priority"}, nil),
		waiting: prometheus.NewDesc("nudges_send_window_waiting_messages",
			"Queued announcements due later than now: held for their recipients' send window, or waiting out a retry's backoff (counted up to 100,000).", nil, nil),
		subscribers: prometheus.NewDesc("nudges_subscribers",
			"List memberships across all clients (a phone on two lists counts twice).", nil, nil),
		client: prometheus.NewDesc("nudges_clients",
			"Clients by billing status.", []string{"status"}, nil),
		numbers: prometheus.NewDesc("nudges_numbers",
			"Clients' own numbers by state (provisioning, verifying, rejected, ready, released).", []string{"state"}, nil),
		bySender: prometheus.NewDesc("nudges_outbox_queued_by_sender_kind",
			"Outbound messages waiting in the outbox, by the kind of number they go from (service, local, toll-free).", []string{"kind"}, nil),
	}
}

// numberStates are always exported, at zero when no number is in them.
var numberStates = []bot.NumberState{
	bot.NumberProvisioning, bot.NumberVerifying, bot.NumberRejected, bot.NumberReady, bot.NumberReleased,
}

// clientStatuses are always exported, at zero when no client has them.
var clientStatuses = []bot.ClientStatus{
	bot.ClientPending, bot.ClientActive, bot.ClientPastDue, bot.ClientCanceled, bot.ClientSuspended,
}

// Describe implements prometheus.Collector.
func (g *gauges) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{g.outbox, g.waiting, g.subscribers, g.client, g.numbers, g.bySender} {
		ch <- d
	}
}

// Collect implements prometheus.Collector: one read transaction.
func (g *gauges) Collect(ch chan<- prometheus.Metric) {
	v, err := g.src.Gauges(time.Now())
	if err != nil {
		for _, d := range []*prometheus.Desc{g.outbox, g.waiting, g.subscribers, g.client, g.numbers, g.bySender} {
			ch <- prometheus.NewInvalidMetric(d, err)
		}
		return
	}
	for _, p := range []bot.Priority{bot.PriorityHigh, bot.PriorityBulk} {
		ch <- prometheus.MustNewConstMetric(g.outbox, prometheus.GaugeValue, float64(v.Outbox[p]), priorityName(p))
	}
	ch <- prometheus.MustNewConstMetric(g.waiting, prometheus.GaugeValue, float64(v.Waiting))
	ch <- prometheus.MustNewConstMetric(g.subscribers, prometheus.GaugeValue, float64(v.Subscribers))
	seen := map[bot.ClientStatus]bool{}
	for _, s := range clientStatuses {
		seen[s] = true
		ch <- prometheus.MustNewConstMetric(g.client, prometheus.GaugeValue, float64(v.Clients[s]), string(s))
	}
	for s, n := range v.Clients {
		if !seen[s] {
			ch <- prometheus.MustNewConstMetric(g.client, prometheus.GaugeValue, float64(n), string(s))
		}
	}
	for _, s := range numberStates { // a state outside the list is a bug, not a series
		ch <- prometheus.MustNewConstMetric(g.numbers, prometheus.GaugeValue, float64(v.Numbers[s]), string(s))
	}
	for _, k := range []bot.NumberKind{bot.NumberService, bot.NumberLocal, bot.NumberTollFree} {
		ch <- prometheus.MustNewConstMetric(g.bySender, prometheus.GaugeValue, float64(v.BySender[k]), string(k))
	}
}

func priorityName(p bot.Priority) string {
	switch p {
	case bot.PriorityHigh:
		return "high"
	case bot.PriorityBulk:
		return "bulk"
	}
	return strconv.Itoa(int(p))
}
