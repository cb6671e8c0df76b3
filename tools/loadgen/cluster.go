package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"nudges/store/kv/certs"
	"nudges/webhooks/twilio"
)

// clusterPlan is the -cluster run: the load spread over several Nudges
// processes (started here on embedded etcd members, or already running),
// with every join and leave on one list (-hot) or over five.
type clusterPlan struct {
	bin     string // the nudges binary to start, or ""
	targets string // comma-separated base URLs of running processes, or ""
	procs   int    // processes to start
	members int    // embedded etcd members among them (0: one bbolt process)
	port    int    // first port of the range the processes use (3 per process)
	dir     string
	hot     bool
}

// spreadLists are the lists the spread mode joins and leaves; the hot mode
// uses the first only. -seed writes their clients.
var spreadLists = []string{"YOGA", "BAKERY", "CAFE", "GYM", "BOOKS"}

// maxProcs bounds -procs, so the ports stay within 3×16+3 of -port.
const maxProcs = 16

func (p clusterPlan) check() error {
	switch {
	case p.targets != "":
		return nil
	case p.procs < 1 || p.procs > maxProcs:
		return fmt.Errorf("-procs %d must be 1–%d", p.procs, maxProcs)
	case p.members < 0 || p.members > p.procs:
		return fmt.Errorf("-members %d must be 0–%d (-procs)", p.members, p.procs)
	case p.members == 0 && p.procs != 1:
		return errors.New("-members 0 is one bbolt process: -procs 1")
	case p.port < 1024 || p.port+3*maxProcs+3 > 65535:
		return fmt.Errorf("-port %d out of range", p.port)
	}
	return nil
}

// ports of process i (1-based): HTTP, etcd peer, etcd client.
func (p clusterPlan) ports(i int) (http, peer, client int) {
	b := p.port + 3*i
	return b, b + 1, b + 2
}

// storeURL is process i's NUDGES_STORE: its own embedded member, or a
// client of one (processes beyond -members), or the bbolt file. Members
// talk over mutual TLS with certificates in dir/certs (makeCerts): a
// member's client port needs them.
func (p clusterPlan) storeURL(i int) string {
	if p.members == 0 {
		return "bolt://" + filepath.Join(p.dir, "n.db")
	}
	if i > p.members {
		return p.clientURL((i-1)%p.members+1, fmt.Sprintf("n%d", i))
	}
	var cluster []string
	for j := 1; j <= p.members; j++ {
		_, peer, _ := p.ports(j)
		cluster = append(cluster, fmt.Sprintf("n%d=https://127.0.0.1:%d", j, peer))
	}
	_, peer, cli := p.ports(i)
	return fmt.Sprintf("etcd+embed://%s?name=n%d&certs=%s&peer=https://127.0.0.1:%d&client=https://127.0.0.1:%d&cluster=%s&state=new",
		filepath.Join(p.dir, fmt.Sprintf("n%d", i)), i, p.certs(), peer, cli, strings.Join(cluster, ","))
}

func (p clusterPlan) certs() string { return filepath.Join(p.dir, "certs") }

// clientURL is an etcd:// store URL on member m's client port, with the
// certificate named name.
func (p clusterPlan) clientURL(m int, name string) string {
	_, _, cli := p.ports(m)
	d := p.certs()
	return fmt.Sprintf("etcd://127.0.0.1:%d?cert=%s&key=%s&ca=%s&max-txn-ops=4096",
		cli, certs.CertFile(d, name), certs.KeyFile(d, name), filepath.Join(d, certs.CACert))
}

// makeCerts writes a CA and a certificate for 127.0.0.1 per process and
// one for the load generator's seeding.
func (p clusterPlan) makeCerts() error {
	d := p.certs()
	if err := certs.CA(d); err != nil {
		return err
	}
	for i := 1; i <= p.procs; i++ {
		if err := certs.Node(d, fmt.Sprintf("n%d", i), []string{"127.0.0.1"}); err != nil {
			return err
		}
	}
	return certs.Node(d, "loadgen", []string{"127.0.0.1"})
}

// startCluster seeds the lists' clients and starts the processes; stop
// kills them.
func startCluster(ctx context.Context, p clusterPlan, hc *http.Client, out io.Writer) (urls []string, stop func(), err error) {
	var cmds []*exec.Cmd
	stop = func() {
		for _, c := range cmds {
			c.Process.Kill()
			c.Wait()
		}
	}
	if err := os.MkdirAll(p.dir, 0o700); err != nil {
		return nil, stop, err
	}
	if p.members == 0 {
		if err := seed(filepath.Join(p.dir, "n.db"), io.Discard); err != nil {
			return nil, stop, err
		}
	} else if err := p.makeCerts(); err != nil {
		return nil, stop, err
	}
	for i := 1; i <= p.procs; i++ {
		h, _, _ := p.ports(i)
		addr := fmt.Sprintf("127.0.0.1:%d", h)
		logf, err := os.Create(filepath.Join(p.dir, fmt.Sprintf("n%d.log", i)))
		if err != nil {
			return nil, stop, err
		}
		cmd := exec.CommandContext(ctx, p.bin)
		cmd.Env = append(os.Environ(), "NUDGES_STORE="+p.storeURL(i), "NUDGES_DB=", "NUDGES_ADDR="+addr,
			"NUDGES_PUBLIC_URL=http://"+addr, "NUDGES_SEND_RATE=1", "TWILIO_ACCOUNT_SID=", "TWILIO_AUTH_TOKEN=",
			"NUDGES_DEFAULT_LOCALE=en")
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			return nil, stop, fmt.Errorf("start %s: %w", p.bin, err)
		}
		cmds = append(cmds, cmd)
		urls = append(urls, "http://"+addr)
	}
	for _, u := range urls {
		if err := waitReady(hc, u, time.Minute); err != nil {
			return nil, stop, fmt.Errorf("%w (logs in %s)", err, p.dir)
		}
	}
	if p.members > 0 {
		if err := seed(p.clientURL(1, "loadgen"), io.Discard); err != nil {
			return nil, stop, err
		}
	}
	fmt.Fprintf(out, "started %d process(es) on %d etcd member(s) (0: bbolt) in %s\n", p.procs, p.members, p.dir)
	return urls, stop, nil
}

// waitReady polls u's /readyz until it answers 200.
func waitReady(hc *http.Client, u string, limit time.Duration) error {
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if resp, err := hc.Get(u + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	return fmt.Errorf("%s not ready after %s", u, limit)
}

// runCluster measures the load on every process at once and prints the
// turns/s, latency, conflict retries per turn (from /metrics) and errors.
func runCluster(ctx context.Context, c config, hc *http.Client, out io.Writer) error {
	p := c.cluster
	var urls []string
	if p.targets != "" {
		for _, u := range strings.Split(p.targets, ",") {
			base, err := loopbackURL(strings.TrimSpace(u))
			if err != nil {
				return err
			}
			urls = append(urls, strings.TrimRight(base.String(), "/"))
		}
	} else {
		if p.dir == "" {
			dir, err := os.MkdirTemp("", "loadgen-cluster-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(dir)
			p.dir = dir
		}
		var stop func()
		var err error
		urls, stop, err = startCluster(ctx, p, hc, out)
		defer stop()
		if err != nil {
			return err
		}
	}
	o := c.opts
	o.lists = spreadLists
	mode := "spread over " + strings.Join(spreadLists, ", ")
	if p.hot {
		o.lists, mode = spreadLists[:1], "every join and leave on YOGA"
	}
	o.workers = max(1, c.opts.workers/len(urls))
	fmt.Fprintf(out, "%d phones at once on each of %d process(es), %s, %s or %d requests per process\n",
		o.workers, len(urls), mode, o.duration, o.max)
	before, err := scrapeAll(hc, urls)
	if err != nil {
		return err
	}
	res := loadAll(ctx, urls, c.token, o, hc)
	after, err := scrapeAll(hc, urls)
	if err != nil {
		return err
	}
	res.report(out, fmt.Sprintf("%d process(es)", len(urls)))
	turns, retries := after.turns-before.turns, after.retries-before.retries
	fmt.Fprintf(out, "  turns %0.f (by /metrics): %.0f turns/s; conflict retries %.0f = %.3f per turn\n",
		turns, turns/res.elapsed.Seconds(), retries, retries/max(turns, 1))
	if !res.ok() {
		return errors.New("not every request was answered 200 with its first answer")
	}
	return nil
}

// loadAll runs o on every URL at once, each process's phones its own.
func loadAll(ctx context.Context, urls []string, token string, o options, hc *http.Client) result {
	rs := make([]result, len(urls))
	var wg sync.WaitGroup
	for i, u := range urls {
		oi := o
		oi.first, oi.run = i*o.workers, o.run+uint32(i)
		t := target{name: u, post: u + twilio.PathSMS, signed: u + twilio.PathSMS, token: token}
		wg.Go(func() { rs[i] = runLoad(ctx, t, oi, hc) })
	}
	wg.Wait()
	return mergeResults(rs)
}

// mergeResults adds up runs that went on at once.
func mergeResults(rs []result) result {
	ws := make([]*worker, len(rs))
	var elapsed time.Duration
	for i := range rs {
		ws[i] = &worker{res: rs[i], lat: rs[i].latencies}
		elapsed = max(elapsed, rs[i].elapsed)
	}
	return merge(ws, elapsed)
}

// counts are the /metrics counters the cluster run reads.
type counts struct{ turns, retries float64 }

// scrapeAll sums the counters of every process.
func scrapeAll(hc *http.Client, urls []string) (counts, error) {
	var sum counts
	for _, u := range urls {
		c, err := scrape(hc, u)
		if err != nil {
			return sum, err
		}
		sum.turns += c.turns
		sum.retries += c.retries
	}
	return sum, nil
}

// scrape reads the turns (inbound webhooks with a signature accepted) and
// the conflict retries from u's /metrics.
func scrape(hc *http.Client, u string) (counts, error) {
	var c counts
	resp, err := hc.Get(u + "/metrics")
	if err != nil {
		return c, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return c, fmt.Errorf("%s/metrics: %d %v", u, resp.StatusCode, err)
	}
	for _, line := range strings.Split(string(body), "\n") {
		name, val, ok := strings.Cut(line, " ")
		v, perr := strconv.ParseFloat(strings.TrimSpace(val), 64)
		switch {
		case !ok || perr != nil:
		case name == "nudges_txn_conflict_retries_total":
			c.retries += v
		case strings.HasPrefix(name, "nudges_inbound_messages_total{") && !strings.Contains(name, "rejected"):
			c.turns += v
		}
	}
	return c, nil
}

// listBody is a join or leave of one of lists, or the mix's other texts.
func listBody(r *rand.Rand, lists []string) string {
	body := pickBody(r)
	kw := lists[r.IntN(len(lists))]
	switch u := strings.ToUpper(body); {
	case strings.HasPrefix(u, "LEAVE"):
		return "LEAVE " + kw
	case strings.HasPrefix(u, "JOIN") || u == "YOGA" || u == "BAKERY":
		return "JOIN " + kw
	}
	return body
}
