package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"nudges/webhooks/twilio"
)

// target is where the load goes: the webhook URL on this machine and what
// Twilio would have signed (the server's public URL + path).
type target struct {
	name   string
	post   string // URL the requests go to
	signed string // URL the signature covers
	token  string // empty: no signature header
}

// options bound and shape one run.
type options struct {
	workers   int             // concurrent senders (phones texting at once)
	perWorker int             // phones each sender rotates through
	duration  time.Duration   // stop after this long
	max       int64           // or after this many requests
	replay    float64         // fraction of requests that replay an earlier MessageSid
	to        string          // the service number
	run       uint32          // makes MessageSids unique to this run
	stop      <-chan struct{} // closed: no new request (those in flight finish)
	lists     []string        // non-nil: joins and leaves name one of these
	first     int             // added to worker numbers, so runs at once use other phones
}

// result is what one run measured.
type result struct {
	requests, replays, mismatched, transportErrs int64
	statuses                                     map[int]int64
	firstErr                                     string
	latencies                                    []time.Duration
	elapsed                                      time.Duration
}

// message is one signed inbound request and the answer it first got.
type message struct {
	body, sig string
	reply     []byte
}

type worker struct {
	id   int
	r    *rand.Rand
	sent []message // recent messages, replayed now and then
	lat  []time.Duration
	res  result
}

// runLoad sends the mix to t from o.workers goroutines until o.duration
// passes, o.max requests were sent or ctx ends.
func runLoad(ctx context.Context, t target, o options, hc *http.Client) result {
	// No new request after the deadline; those in flight finish (an
	// interrupt ends them at once).
	deadline := time.Now().Add(o.duration)
	var count atomic.Int64
	var seq atomic.Uint64
	take := func() bool {
		select {
		case <-o.stop:
			return false
		default:
		}
		return ctx.Err() == nil && time.Now().Before(deadline) && count.Add(1) <= o.max
	}
	workers := make([]*worker, o.workers)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range workers {
		w := &worker{id: i, r: rand.New(rand.NewPCG(uint64(o.run), uint64(i))), res: result{statuses: map[int]int64{}}}
		workers[i] = w
		wg.Go(func() {
			for step := 0; take(); step++ {
				w.one(ctx, t, o, hc, step, &seq)
			}
		})
	}
	wg.Wait()
	return merge(workers, time.Since(start))
}

// one sends a new message or, now and then, replays an earlier one.
func (w *worker) one(ctx context.Context, t target, o options, hc *http.Client, step int, seq *atomic.Uint64) {
	replay := len(w.sent) > 0 && w.r.Float64() < o.replay
	var m message
	if replay {
		m = w.sent[w.r.IntN(len(w.sent))]
	} else {
		body := pickBody(w.r)
		if o.lists != nil {
			body = listBody(w.r, o.lists)
		}
		form := inboundForm(sidOf(o.run, seq.Add(1)), phoneOf(o.first+w.id, step%o.perWorker, o.perWorker), o.to, body)
		m.body = form.Encode()
		if t.token != "" {
			m.sig = twilio.Sign(t.token, t.signed, form)
		}
	}
	began := time.Now()
	status, reply, err := send(ctx, hc, t.post, m)
	w.lat = append(w.lat, time.Since(began))
	w.tally(status, err)
	if status != http.StatusOK {
		return
	}
	if replay {
		w.res.replays++
		if !bytes.Equal(reply, m.reply) {
			w.res.mismatched++
		}
		return
	}
	m.reply = reply
	if len(w.sent) < 32 {
		w.sent = append(w.sent, m)
	} else {
		w.sent[w.r.IntN(len(w.sent))] = m
	}
}

func (w *worker) tally(status int, err error) {
	w.res.requests++
	if err != nil {
		w.res.transportErrs++
		if w.res.firstErr == "" {
			w.res.firstErr = err.Error()
		}
		return
	}
	w.res.statuses[status]++
}

// send posts one signed form and reads the whole answer.
func send(ctx context.Context, hc *http.Client, u string, m message) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(m.body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if m.sig != "" {
		req.Header.Set(twilio.SignatureHeader, m.sig)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}

func merge(ws []*worker, elapsed time.Duration) result {
	out := result{statuses: map[int]int64{}, elapsed: elapsed}
	for _, w := range ws {
		out.requests += w.res.requests
		out.replays += w.res.replays
		out.mismatched += w.res.mismatched
		out.transportErrs += w.res.transportErrs
		if out.firstErr == "" {
			out.firstErr = w.res.firstErr
		}
		for s, n := range w.res.statuses {
			out.statuses[s] += n
		}
		out.latencies = append(out.latencies, w.lat...)
	}
	slices.Sort(out.latencies)
	return out
}

// percentile is the p-th (0–1) of sorted latencies.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[int(p*float64(len(sorted)-1)+0.5)]
}

func (r result) rate() float64 { return float64(r.requests) / r.elapsed.Seconds() }

// ok is whether every request got a 200 and every replay its first answer.
func (r result) ok() bool {
	return r.transportErrs == 0 && r.mismatched == 0 && r.statuses[http.StatusOK] == r.requests
}

// report prints one run's figures.
func (r result) report(w io.Writer, name string) {
	l := r.latencies
	fmt.Fprintf(w, "%s\n  %d requests in %.2fs: %.0f req/s\n", name, r.requests, r.elapsed.Seconds(), r.rate())
	fmt.Fprintf(w, "  latency p50 %s  p99 %s  p99.9 %s  max %s\n",
		ms(percentile(l, 0.50)), ms(percentile(l, 0.99)), ms(percentile(l, 0.999)), ms(percentile(l, 1)))
	fmt.Fprintf(w, "  statuses %v, transport errors %d, replays %d (%d with a different answer)\n",
		r.statuses, r.transportErrs, r.replays, r.mismatched)
	if r.firstErr != "" {
		fmt.Fprintf(w, "  first error: %s\n", r.firstErr)
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }

// loopbackURL refuses any URL whose host is not this machine's loopback.
func loopbackURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("-url %q must be an http URL like http://127.0.0.1:8080", raw)
	}
	host := u.Hostname()
	if host == "localhost" {
		return u, nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("-url %q is not loopback: loadgen only loads this machine (127.0.0.1, ::1, localhost)", raw)
	}
	return u, nil
}
