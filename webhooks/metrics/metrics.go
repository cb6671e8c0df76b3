// Package metrics serves GET /metrics in the Prometheus text format: counters
// and histograms fed through bot.Observer on the hot path, gauges read from
// the store when scraped, and the Go runtime and process collectors, all on
// a private registry.
package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"nudges/bot"
)

// Path is where the metrics are served.
const Path = "/metrics"

// Source gives the gauges read at each scrape; store.DB is one.
type Source interface {
	Gauges(now time.Time) (bot.Gauges, error)
}

// outboundStatuses are the labels nudges_outbound_messages_total starts
// with (at zero); any other status gets its own label when first seen.
var outboundStatuses = []bot.MessageStatus{
	bot.StatusSent, bot.StatusQueued, bot.StatusFailed, bot.StatusUnknown,
	bot.StatusDelivered, bot.StatusUndelivered,
}

// Metrics is the registry and the bot.Observer that feeds it.
type Metrics struct {
	reg      *prometheus.Registry
	token    string
	inbound  map[bot.TurnOutcome]prometheus.Counter
	outbound *prometheus.CounterVec
	known    map[bot.MessageStatus]prometheus.Counter
	turn     prometheus.Histogram
	commit   prometheus.Histogram
	retries  prometheus.Counter
}

var _ bot.Observer = (*Metrics)(nil)

// New registers every metric. token is NUDGES_METRICS_TOKEN: when set,
// non-loopback peers that send it as a Bearer token may scrape too; version
// is the binary's, exported as nudges_build_info.
func New(src Source, token, version string) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), token: token}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "nudges_build_info", Help: "Always 1; the version label is the running binary's.",
		ConstLabels: prometheus.Labels{"version": version},
	}, func() float64 { return 1 }))
	inbound := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "nudges_inbound_messages_total",
		Help: "Inbound SMS webhooks by outcome: reply, no_reply, replay (a MessageSid seen before), rejected_signature, error.",
	}, []string{"outcome"})
	m.inbound = map[bot.TurnOutcome]prometheus.Counter{}
	for _, o := range bot.TurnOutcomes {
		m.inbound[o] = inbound.WithLabelValues(string(o))
	}
	m.outbound = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "nudges_outbound_messages_total",
		Help: "Outbound SMS reaching a status: sent (accepted by the provider), queued (to retry), failed, unknown (may or may not have gone; never resent), delivered and undelivered (delivery receipts received; a receipt Twilio repeats counts again).",
	}, []string{"status"})
	m.known = map[bot.MessageStatus]prometheus.Counter{}
	for _, s := range outboundStatuses {
		m.known[s] = m.outbound.WithLabelValues(string(s))
	}
	m.turn = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "nudges_turn_duration_seconds",
		Help:    "Time to handle one inbound SMS, from the webhook's turn starting to its commit (rejected signatures excluded).",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	})
	m.commit = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "nudges_commit_duration_seconds",
		Help:    "Time one database commit takes to write and sync the file.",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
	})
	m.retries = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "nudges_txn_conflict_retries_total",
		Help: "Write transactions run again because what they read changed before their commit (etcd; always 0 on bbolt).",
	})
	m.reg.MustRegister(inbound, m.outbound, m.turn, m.commit, m.retries, newGauges(src))
	return m
}

// Inbound implements bot.Observer.
func (m *Metrics) Inbound(o bot.TurnOutcome, took time.Duration) {
	c, ok := m.inbound[o]
	if !ok {
		c = m.inbound[bot.TurnError]
	}
	c.Inc()
	if o != bot.TurnRejected {
		m.turn.Observe(took.Seconds())
	}
}

// Outbound implements bot.Observer.
func (m *Metrics) Outbound(s bot.MessageStatus, n int) {
	if c, ok := m.known[s]; ok {
		c.Add(float64(n))
		return
	}
	m.outbound.WithLabelValues(string(s)).Add(float64(n))
}

// Commit implements bot.Observer.
func (m *Metrics) Commit(took time.Duration) { m.commit.Observe(took.Seconds()) }

// Retried implements bot.Observer.
func (m *Metrics) Retried(n int) { m.retries.Add(float64(n)) }

// Registry is the private registry, for tests and extra collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }
