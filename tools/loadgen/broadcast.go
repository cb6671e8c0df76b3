package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"nudges/webhooks/twilio"
)

// broadcastPlan is the -broadcast run: a list of subscribers seeded
// through the store, the real binary started on it, phones texting before,
// during and after one CONFIRM's fan-out.
type broadcastPlan struct {
	bin, dir, addr string
	subscribers    int
	phase          time.Duration // before and after
	during         time.Duration // longest wait for the fan-out
	rate           string        // NUDGES_SEND_RATE of the server
	retention      bool          // also settle, fold and measure what is left
}

// broadcastClient is the seeded client whose list is fanned out.
const broadcastClient = "+15559990001"

// runBroadcast measures one broadcast and prints the figures of the
// broadcast benchmark (docs/benchmarks.md).
func runBroadcast(ctx context.Context, p broadcastPlan, o options, hc *http.Client, out io.Writer) error {
	dbPath := filepath.Join(p.dir, "nudges.db")
	began := time.Now()
	if err := seedList(dbPath, p.subscribers, out); err != nil {
		return err
	}
	fmt.Fprintf(out, "seeded %d subscribers in %s\n", p.subscribers, time.Since(began).Round(time.Millisecond))
	baseline, err := compactSize(dbPath)
	if err != nil {
		return err
	}
	logPath := filepath.Join(p.dir, "server.log")
	srv, err := startNudges(ctx, p, dbPath, logPath, hc)
	if err != nil {
		return err
	}
	defer func() { srv.Process.Kill(); srv.Wait() }()
	heap := sampleAnon(ctx, srv.Process.Pid)
	t := target{name: "nudges", post: "http://" + p.addr + twilio.PathSMS}
	o.duration = p.phase
	before := runLoad(ctx, t, o, hc)
	before.report(out, "before CONFIRM")

	o.run++
	if _, err := textOnce(ctx, hc, t, o, broadcastClient, "Class is on at 7 tonight, bring a mat!"); err != nil {
		return err
	}
	sent := time.Now()
	reply, err := textOnce(ctx, hc, t, o, broadcastClient, "CONFIRM")
	confirm := time.Since(sent)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "CONFIRM answered in %s: %q\n", ms(confirm), strings.TrimSpace(stripTags(reply)))

	finished, stopped := watchFanout(ctx, logPath, p.during)
	o.run++
	o.duration, o.stop = p.during, stopped
	during := runLoad(ctx, t, o, hc)
	o.stop = nil
	during.report(out, "during the fan-out")
	fanout := <-finished
	if fanout <= 0 {
		fmt.Fprintf(out, "fan-out not finished within %s\n", p.during)
	} else {
		took := fanout // from CONFIRM's answer to the worker's "fan-out finished"
		fmt.Fprintf(out, "fan-out: %d rows in %s = %.0f rows/s\n", p.subscribers, took.Round(time.Millisecond), float64(p.subscribers)/took.Seconds())
	}
	o.run++
	o.duration = p.phase
	after := runLoad(ctx, t, o, hc)
	after.report(out, "after the fan-out")
	fmt.Fprintf(out, "peak RSS of the server: %s (VmHWM, counts the mapped database pages it touched); peak anonymous RSS (heap, stacks) %d MB\n",
		peakRSS(srv.Process.Pid), heap.Load()>>10)
	srv.Process.Signal(syscall.SIGTERM)
	srv.Wait()
	if !p.retention {
		return nil
	}
	return retentionFigure(dbPath, baseline, p.subscribers, out)
}

// startNudges starts the binary on dbPath with the console SMS driver and
// waits for /readyz.
func startNudges(ctx context.Context, p broadcastPlan, dbPath, logPath string, hc *http.Client) (*exec.Cmd, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, p.bin)
	cmd.Env = append(os.Environ(), "NUDGES_DB="+dbPath, "NUDGES_ADDR="+p.addr, "NUDGES_PUBLIC_URL=http://"+p.addr,
		"NUDGES_SEND_RATE="+p.rate, "TWILIO_ACCOUNT_SID=", "TWILIO_AUTH_TOKEN=", "NUDGES_DEFAULT_LOCALE=en")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", p.bin, err)
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		resp, err := hc.Get("http://" + p.addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return cmd, nil
			}
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	return nil, fmt.Errorf("server not ready after 30 s (log: %s)", logPath)
}

// textOnce sends one text from phone and returns the TwiML answer.
func textOnce(ctx context.Context, hc *http.Client, t target, o options, phone, body string) (string, error) {
	form := inboundForm(sidOf(o.run, uint64(time.Now().UnixNano())), phone, o.to, body)
	status, reply, err := send(ctx, hc, t.post, message{body: form.Encode()})
	if err != nil || status != http.StatusOK {
		return "", fmt.Errorf("%s %q: status %d %v %s", phone, body, status, err, reply)
	}
	return string(reply), nil
}

func stripTags(s string) string {
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// watchFanout sends the time since it started on finished once the server
// logs "fan-out finished" (0 if limit passes first), and closes stopped then.
func watchFanout(ctx context.Context, logPath string, limit time.Duration) (<-chan time.Duration, <-chan struct{}) {
	fctx, cancel := context.WithTimeout(ctx, limit)
	finished, stopped := make(chan time.Duration, 1), make(chan struct{})
	start := time.Now()
	go func() {
		defer cancel()
		defer close(stopped)
		for fctx.Err() == nil {
			if logHas(logPath, "fan-out finished") {
				finished <- time.Since(start)
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		finished <- 0
	}()
	return finished, stopped
}

func logHas(path, s string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		if strings.Contains(sc.Text(), s) {
			return true
		}
	}
	return false
}

// sampleAnon tracks the highest RssAnon of pid (in kB), read every 50 ms:
// bbolt maps the file, so VmHWM also counts database pages read.
func sampleAnon(ctx context.Context, pid int) *atomic.Int64 {
	var peak atomic.Int64
	go func() {
		for ctx.Err() == nil {
			if kb := statusKB(pid, "RssAnon:"); kb > peak.Load() {
				peak.Store(kb)
			} else if kb < 0 {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	return &peak
}

// statusKB reads a kB field of /proc/pid/status; -1 if there is none.
func statusKB(pid int, field string) int64 {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return -1
}

// peakRSS is the process's high-water resident set (VmHWM) on Linux.
func peakRSS(pid int) string {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
