package hookout

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"nudges/bot"
)

// Timeout bounds one delivery, connection to last byte.
const Timeout = 10 * time.Second

// Sign is the webhook-signature header of body sent as msgID at ts with
// secret ("whsec_" + base64), as Standard Webhooks defines it.
func Sign(secret, msgID string, ts time.Time, body []byte) (string, error) {
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		return "", fmt.Errorf("webhook secret: %w", err)
	}
	return wh.Sign(msgID, ts, body)
}

// Worker is the leader's delivery loop: it claims due rows, posts them
// (a few at once) and records each answer.
type Worker struct {
	Queue  *bot.HookQueue
	Client *http.Client
	Clock  bot.Clock
	Log    *slog.Logger
	// Batch is how many rows one pass claims; Idle how long the loop waits
	// when none was due.
	Batch int
	Idle  time.Duration
}

// NewWorker returns a worker on q whose deliveries g guards.
func NewWorker(q *bot.HookQueue, g Guard) *Worker {
	return &Worker{Queue: q, Client: g.Client(Timeout), Clock: bot.SystemClock{}, Batch: 20, Idle: time.Second}
}

// Run delivers until ctx ends.
func (w *Worker) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		n, err := w.Pass(ctx)
		if err != nil {
			w.log().Error("webhook deliveries", "err", err)
		}
		if n == 0 || err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(w.Idle):
			}
		}
	}
	return nil
}

// stopGrace is how long a delivery under way may finish once the process stops.
const stopGrace = time.Second

// Pass claims the rows due now, posts them in parallel and records the
// outcomes; it returns how many it tried.
func (w *Worker) Pass(ctx context.Context) (int, error) {
	jobs, err := w.Queue.Claim(w.Clock.Now(), max(w.Batch, 1))
	if err != nil || len(jobs) == 0 {
		return 0, err
	}
	// A delivery under way when the process stops gets a second to finish
	// and be recorded, so a receiver that answered is not sent it again.
	pctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	defer context.AfterFunc(ctx, func() { time.AfterFunc(stopGrace, cancel) })()
	errs := make(chan error, len(jobs))
	for _, j := range jobs {
		go func() {
			code, why := w.post(pctx, j)
			if code == 0 && pctx.Err() != nil { // stopped before an answer: the lease retries it, no try counted
				errs <- nil
				return
			}
			errs <- w.Queue.Record(w.Clock.Now(), j.Delivery.ID, code, why)
		}()
	}
	var first error
	for range jobs {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return len(jobs), first
}

// post sends one try: the HTTP status, or 0 and why none came.
func (w *Worker) post(ctx context.Context, j bot.HookJob) (int, string) {
	d := j.Delivery
	now := w.Clock.Now()
	sig, err := Sign(j.Secret, d.MsgID, now, d.Body)
	if err != nil {
		return 0, err.Error()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, j.URL, bytes.NewReader(d.Body))
	if err != nil {
		return 0, err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "nudges-webhooks/1")
	req.Header.Set("webhook-id", d.MsgID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	resp, err := w.Client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, ""
}

func (w *Worker) log() *slog.Logger {
	if w.Log == nil {
		return slog.Default()
	}
	return w.Log
}
