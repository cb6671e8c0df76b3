// Command loadgen measures the inbound-SMS webhook of a running Nudges
// server on this machine: N phones text it at once (a mix of joins, lists,
// leaves, help and noise, with a fraction of Twilio-style retries of an
// earlier MessageSid), every request signed with twilio.Sign exactly as
// Twilio would. It prints requests/s and p50/p99/p99.9 latency, then runs
// the same load against a minimal net/http handler it starts on 127.0.0.1,
// for a ratio. It only talks to loopback and stops by itself.
//
//	TWILIO_AUTH_TOKEN=… loadgen -url http://127.0.0.1:8080 -public http://localhost:8080 -phones 64 -duration 10s
//	loadgen -seed ./data/nudges.db   # before starting the server: two active clients, YOGA and BAKERY
//	loadgen -seed 'etcd://127.0.0.1:2379?max-txn-ops=4096' -list 100000   # an etcd store, servers running: and a list
//	loadgen -broadcast /tmp/nudges -subscribers 1000000 -phones 32   # one CONFIRM's fan-out under load
//	loadgen -cluster /tmp/nudges -procs 3 -members 3 -phones 32 [-hot]   # turns/s and conflict retries per turn on etcd
//	loadgen -targets http://127.0.0.1:8080,http://127.0.0.1:8081 -hot   # the same against running processes
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"time"

	"nudges/webhooks/twilio"
)

// Bounds no flag can exceed.
const (
	maxWorkers  = 4096
	maxDuration = 5 * time.Minute
	maxRequests = 5_000_000
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

// config is the command line.
type config struct {
	url, public, token, to, seed string
	list                         int // with -seed: subscribers on YOGA
	opts                         options
	baseline                     bool
	broadcast                    broadcastPlan
	cluster                      clusterPlan
}

func parseFlags(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.StringVar(&c.url, "url", "http://127.0.0.1:8080", "server base URL (loopback only)")
	fs.StringVar(&c.public, "public", "http://localhost:8080", "the server's NUDGES_PUBLIC_URL, which signatures cover")
	fs.StringVar(&c.token, "token", os.Getenv("TWILIO_AUTH_TOKEN"), "Twilio auth token to sign with (default $TWILIO_AUTH_TOKEN; empty sends unsigned)")
	fs.StringVar(&c.to, "to", "+15550000000", "the service number (To)")
	fs.StringVar(&c.seed, "seed", "", "write two active clients (YOGA, BAKERY) to this database file (stopped server) or etcd store URL, and exit")
	fs.IntVar(&c.list, "list", 0, "with -seed: also put this many subscribers on YOGA (at most 2,000,000)")
	fs.IntVar(&c.opts.workers, "phones", 64, "phones texting at once (concurrent requests)")
	fs.IntVar(&c.opts.perWorker, "rotate", 16, "phones each sender rotates through (phones in all: -phones × -rotate)")
	fs.DurationVar(&c.opts.duration, "duration", 10*time.Second, "how long each run lasts (at most 5m)")
	fs.Int64Var(&c.opts.max, "max", 1_000_000, "most requests per run (at most 5,000,000)")
	fs.Float64Var(&c.opts.replay, "replay", 0.1, "fraction of requests that replay an earlier MessageSid")
	fs.BoolVar(&c.baseline, "baseline", true, "also run the load against a minimal net/http handler for a ratio")
	b := &c.broadcast
	fs.StringVar(&b.bin, "broadcast", "", "the nudges binary: seed -subscribers, start it on -addr and measure one CONFIRM's fan-out under load")
	fs.IntVar(&b.subscribers, "subscribers", 100_000, "list size for -broadcast (at most 2,000,000)")
	fs.StringVar(&b.dir, "dir", "", "work directory for -broadcast (default: a new temporary one)")
	fs.StringVar(&b.addr, "addr", "127.0.0.1:18150", "where -broadcast starts the server (loopback)")
	fs.DurationVar(&b.phase, "phase", 5*time.Second, "-broadcast: load before CONFIRM and after the fan-out")
	fs.DurationVar(&b.during, "during", 2*time.Minute, "-broadcast: longest wait for the fan-out")
	fs.StringVar(&b.rate, "rate", "100", "-broadcast: the server's NUDGES_SEND_RATE")
	fs.BoolVar(&b.retention, "retention", true, "-broadcast: then settle every row in-process, fold it and print the bytes left per recipient")
	k := &c.cluster
	fs.StringVar(&k.bin, "cluster", "", "the nudges binary: start -procs processes on -members embedded etcd members, seed the lists and load them all at once")
	fs.StringVar(&k.targets, "targets", "", "comma-separated URLs of running processes (seeded with -seed) to load at once, as -cluster does")
	fs.IntVar(&k.procs, "procs", 3, "-cluster: processes to start (at most 16)")
	fs.IntVar(&k.members, "members", 3, "-cluster: embedded etcd members among them (0: one bbolt process)")
	fs.IntVar(&k.port, "port", 19100, "-cluster: first port; process i uses port+3i to port+3i+2 (HTTP, etcd peer, etcd client)")
	fs.StringVar(&k.dir, "cluster-dir", "", "-cluster: work directory (default: a new temporary one, removed after)")
	fs.BoolVar(&k.hot, "hot", false, "-cluster/-targets: every join and leave on YOGA (default: spread over five lists)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	o := &c.opts
	switch {
	case o.workers < 1 || o.workers > maxWorkers:
		return c, fmt.Errorf("-phones %d must be 1–%d", o.workers, maxWorkers)
	case o.perWorker < 1 || o.perWorker > 10_000:
		return c, fmt.Errorf("-rotate %d must be 1–10000", o.perWorker)
	case o.duration <= 0 || o.duration > maxDuration:
		return c, fmt.Errorf("-duration %s must be above 0 and at most %s", o.duration, maxDuration)
	case o.max < 1 || o.max > maxRequests:
		return c, fmt.Errorf("-max %d must be 1–%d", o.max, maxRequests)
	case o.replay < 0 || o.replay >= 1:
		return c, fmt.Errorf("-replay %g must be in [0, 1)", o.replay)
	case b.subscribers < 1 || b.subscribers > 2_000_000:
		return c, fmt.Errorf("-subscribers %d must be 1–2000000", b.subscribers)
	case k.bin != "" || k.targets != "":
		if err := k.check(); err != nil {
			return c, err
		}
	}
	switch {
	case b.phase <= 0 || b.phase > maxDuration || b.during <= 0 || b.during > maxDuration:
		return c, fmt.Errorf("-phase and -during must be above 0 and at most %s", maxDuration)
	}
	o.to, o.run = c.to, rand.Uint32()
	return c, nil
}

func run(args []string, out io.Writer) error {
	c, err := parseFlags(args)
	if err != nil {
		return err
	}
	if c.seed != "" {
		if err := seed(c.seed, out); err != nil || c.list <= 0 {
			return err
		}
		return seedList(c.seed, min(c.list, 2_000_000), out)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	hc := loopbackClient(c.opts.workers)
	if c.broadcast.bin != "" {
		return broadcast(ctx, c, hc, out)
	}
	if c.cluster.bin != "" || c.cluster.targets != "" {
		return runCluster(ctx, c, hc, out)
	}
	base, err := loopbackURL(c.url)
	if err != nil {
		return err
	}
	path := twilio.PathSMS
	t := target{name: "nudges " + base.String() + path, post: strings.TrimRight(base.String(), "/") + path,
		signed: strings.TrimRight(c.public, "/") + path, token: c.token}
	fmt.Fprintf(out, "%d phones at once (%d in all), %s or %d requests per run, %.0f%% replays\n",
		c.opts.workers, c.opts.workers*c.opts.perWorker, c.opts.duration, c.opts.max, 100*c.opts.replay)
	res := runLoad(ctx, t, c.opts, hc)
	res.report(out, t.name)
	if c.baseline && ctx.Err() == nil {
		if err := compare(ctx, c, hc, res, out); err != nil {
			return err
		}
	}
	if !res.ok() {
		return errors.New("not every request was answered 200 with its first answer")
	}
	return nil
}

// broadcast runs the -broadcast measurement in c.broadcast.dir.
func broadcast(ctx context.Context, c config, hc *http.Client, out io.Writer) error {
	p := c.broadcast
	if _, err := loopbackURL("http://" + p.addr); err != nil {
		return err
	}
	if p.dir == "" {
		dir, err := os.MkdirTemp("", "loadgen-broadcast-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		p.dir = dir
	}
	fmt.Fprintf(out, "%d phones texting (%d in all) while %d subscribers get one announcement\n",
		c.opts.workers, c.opts.workers*c.opts.perWorker, p.subscribers)
	return runBroadcast(ctx, p, c.opts, hc, out)
}

// compare runs the same load against a minimal handler and prints the ratio.
func compare(ctx context.Context, c config, hc *http.Client, res result, out io.Writer) error {
	bl, err := startBaseline()
	if err != nil {
		return err
	}
	defer bl.Close()
	t := target{name: "minimal net/http handler " + bl.URL, post: bl.URL + twilio.PathSMS, signed: bl.URL + twilio.PathSMS, token: c.token}
	c.opts.run++
	base := runLoad(ctx, t, c.opts, hc)
	base.report(out, t.name)
	fmt.Fprintf(out, "ratio: nudges does %.2f× the requests/s of a minimal handler; p99 %s vs %s\n",
		res.rate()/base.rate(), ms(percentile(res.latencies, 0.99)), ms(percentile(base.latencies, 0.99)))
	return nil
}

// loopbackClient is an HTTP client that can only dial loopback addresses
// (so not even a redirect takes load elsewhere), with a connection per phone.
func loopbackClient(conns int) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second}
	tr := &http.Transport{
		MaxIdleConns: conns, MaxIdleConnsPerHost: conns, IdleConnTimeout: 30 * time.Second,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
				return nil, fmt.Errorf("refusing to dial %s: loopback only", addr)
			}
			return d.DialContext(ctx, network, addr)
		},
	}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}
