package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"nudges/bot"
	"nudges/locales"
	"nudges/store"
	"nudges/webhooks/console"
	"nudges/webhooks/twilio/twiliotest"
)

var dispT0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// twSender is a minimal bot.Sender over the fake Twilio's REST API, with the
// error classification the dispatcher expects of a real one.
type twSender struct {
	base string
	hc   *http.Client
}

func (s *twSender) Send(ctx context.Context, m bot.OutMessage) (string, error) {
	form := url.Values{"To": {string(m.To)}, "From": {"+15550000000"}, "Body": {m.Body}}
	u := s.base + "/2010-04-01/Accounts/" + twiliotest.AccountSID + "/Messages.json"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(twiliotest.AccountSID, twiliotest.AuthToken)
	resp, err := s.hc.Do(req)
	if err != nil {
		return "", &bot.SendError{Message: err.Error(), Unknown: true}
	}
	defer resp.Body.Close()
	var body struct {
		SID     string `json:"sid"`
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode == http.StatusCreated {
		return body.SID, nil
	}
	retry := resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500
	return "", &bot.SendError{Status: resp.StatusCode, Code: body.Code, Message: body.Message, Retry: retry}
}

// dispHarness is a real bbolt file, a fake Twilio, a capture driver and a
// fixed clock that the dispatcher's waits move forward.
type dispHarness struct {
	t       *testing.T
	db      *store.DB
	path    string
	clock   *bot.FixedClock
	tw      *twiliotest.Server
	capture *console.Driver

	mu    sync.Mutex
	waits []time.Duration
}

func newDispHarness(t *testing.T) *dispHarness {
	h := &dispHarness{t: t, path: filepath.Join(t.TempDir(), "nudges.db"), clock: bot.NewFixedClock(dispT0),
		tw: twiliotest.New(t), capture: console.NewCapture(slog.New(slog.DiscardHandler), 100)}
	h.open()
	t.Cleanup(func() { h.db.Close() })
	return h
}

func (h *dispHarness) open() {
	db, err := store.Open(h.path)
	if err != nil {
		h.t.Fatal(err)
	}
	h.db = db
}

// dispatcher returns a dispatcher whose waits advance the clock at once.
func (h *dispHarness) dispatcher(rate float64) *bot.Dispatcher {
	sender := &twSender{base: h.tw.URL, hc: &http.Client{Timeout: 10 * time.Second}}
	d := bot.NewDispatcher(h.outbox(), sender, h.capture, rate)
	d.Clock, d.Log = h.clock, slog.New(slog.DiscardHandler)
	d.Sleep = func(ctx context.Context, w time.Duration) error {
		h.mu.Lock()
		h.waits = append(h.waits, w)
		h.mu.Unlock()
		h.clock.Advance(w)
		return ctx.Err()
	}
	return d
}

// outbox is the outbox service on the harness's database and clock.
func (h *dispHarness) outbox() *bot.Lifecycle {
	return &bot.Lifecycle{Store: h.db, Report: bot.ReportTo(locales.MustLoad()), Clock: h.clock}
}

func (h *dispHarness) drain(d *bot.Dispatcher) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := d.Drain(ctx); err != nil || ctx.Err() != nil {
		h.t.Fatalf("drain: %v %v", err, ctx.Err())
	}
}

// send queues body to p the way every path does (bot.Enqueue) and returns
// its id. With an announcement, p is on its list, as the fan-out finds it.
func (h *dispHarness) send(p bot.Phone, body string, prio bot.Priority, ann uint64) uint64 {
	h.t.Helper()
	var id uint64
	err := h.db.Write(func(tx *store.Tx) error {
		conv, err := tx.Conversation(p)
		if err != nil {
			return err
		}
		if ann != 0 {
			a, err := tx.Announcement(ann)
			if err != nil || a == nil {
				return fmt.Errorf("announcement %d: %v", ann, err)
			}
			if _, err := tx.Subscribe(a.Keyword, p, h.clock.Now()); err != nil {
				return err
			}
		}
		m := &bot.OutMessage{To: p, Body: body, Kind: bot.KindReply, Priority: prio, AnnouncementID: ann,
			Simulated: conv.Simulated, NextAt: h.clock.Now(), CreatedAt: h.clock.Now()}
		if err := tx.Enqueue(m); err != nil {
			return err
		}
		id = m.ID
		return nil
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return id
}

func (h *dispHarness) msg(id uint64) bot.OutMessage {
	h.t.Helper()
	var m *bot.OutMessage
	if err := h.db.View(func(tx bot.Tx) (err error) { m, err = tx.OutMessage(id); return err }); err != nil || m == nil {
		h.t.Fatalf("message %d: %v", id, err)
	}
	return *m
}

func (h *dispHarness) putConv(c *bot.Conversation) {
	h.t.Helper()
	if err := h.db.Update(func(tx bot.Tx) error { return tx.PutConversation(c) }); err != nil {
		h.t.Fatal(err)
	}
}

func phone(i int) bot.Phone { return bot.Phone(fmt.Sprintf("+1555%07d", i)) }

func TestDispatchPacesBySegments(t *testing.T) {
	h := newDispHarness(t)
	sizes := []int{1, 3, 1, 2, 1} // segments of each body
	for i, n := range sizes {
		h.send(phone(i), strings.Repeat("a", 150*n), bot.PriorityBulk, 0)
	}
	h.drain(h.dispatcher(2))
	// Each send waits for the segments before it at 2 a second.
	want := []time.Duration{500 * time.Millisecond, 1500 * time.Millisecond, 500 * time.Millisecond, time.Second}
	if !slices.Equal(h.waits, want) {
		t.Errorf("waits %v, want %v", h.waits, want)
	}
	if n := len(h.tw.Sent()); n != len(sizes) {
		t.Errorf("%d sent, want %d", n, len(sizes))
	}
}

// hookSender calls before on each send, then sends through next.
type hookSender struct {
	next   bot.Sender
	before func(n int, m bot.OutMessage)
	n      atomic.Int64
}

func (s *hookSender) Send(ctx context.Context, m bot.OutMessage) (string, error) {
	s.before(int(s.n.Add(1)), m)
	return s.next.Send(ctx, m)
}

func TestDispatchRepliesGoBeforeBulk(t *testing.T) {
	h := newDispHarness(t)
	for i := range 20 {
		h.send(phone(i), "bulk", bot.PriorityBulk, 0)
	}
	d := h.dispatcher(20) // claims 2 at a time
	d.Workers = 1         // sends in hand-out order
	var reply uint64
	d.Sender = &hookSender{next: d.Sender, before: func(n int, m bot.OutMessage) {
		if n == 1 { // a reply arrives while the broadcast is going out
			reply = h.send(phone(99), "reply", bot.PriorityHigh, 0)
			d.Kick()
		}
	}}
	h.drain(d)
	reqs := h.tw.Requests()
	at := slices.IndexFunc(reqs, func(r twiliotest.Request) bool { return r.Form.Get("Body") == "reply" })
	// At most the first message and the next claimed batch of 2 go before it.
	if at < 0 || at > 3 || len(reqs) != 21 {
		t.Fatalf("reply sent at position %d of %d, want within the first 4", at, len(reqs))
	}
	if m := h.msg(reply); m.Status != bot.StatusSent {
		t.Errorf("reply is %s", m.Status)
	}
}

func TestDispatchReplyQueuedAfterBulkIsSentFirst(t *testing.T) {
	h := newDispHarness(t)
	for i := range 5 {
		h.send(phone(i), "bulk", bot.PriorityBulk, 0)
	}
	h.send(phone(99), "reply", bot.PriorityHigh, 0)
	d := h.dispatcher(0)
	d.Workers = 1
	h.drain(d)
	if reqs := h.tw.Requests(); len(reqs) != 6 || reqs[0].Form.Get("Body") != "reply" {
		t.Fatalf("first of %d requests: %q, want the reply", len(reqs), reqs[0].Form.Get("Body"))
	}
}

func TestDispatchRetries429ThenSends(t *testing.T) {
	h := newDispHarness(t)
	h.tw.Script(twiliotest.Response{Status: 429, Code: 20429}, twiliotest.OK)
	id := h.send(phone(1), "hello", bot.PriorityHigh, 0)
	d := h.dispatcher(0)
	d.Backoff = func(try int) time.Duration { return time.Duration(try) * time.Second }
	h.drain(d)
	m := h.msg(id)
	if m.Status != bot.StatusSent || m.Tries != 2 || m.SID == "" || h.tw.Count() != 2 {
		t.Fatalf("after 429 then OK: %+v, %d requests", m, h.tw.Count())
	}
	if !slices.Equal(h.waits, []time.Duration{time.Second}) {
		t.Errorf("waits %v, want one backoff of 1s", h.waits)
	}
}

func TestDispatchFailsAfterFiveServerErrors(t *testing.T) {
	h := newDispHarness(t)
	for range 6 {
		h.tw.Script(twiliotest.Response{Status: 500, Code: 20500})
	}
	id := h.send(phone(1), "hello", bot.PriorityHigh, 0)
	d := h.dispatcher(0)
	d.Backoff = func(try int) time.Duration { return time.Second << (try - 1) }
	h.drain(d)
	m := h.msg(id)
	if m.Status != bot.StatusFailed || m.Tries != 5 || m.ErrorCode != 20500 || h.tw.Count() != 5 {
		t.Fatalf("after 500s: %+v, %d requests, want failed after 5", m, h.tw.Count())
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}
	if !slices.Equal(h.waits, want) {
		t.Errorf("waits %v, want %v", h.waits, want)
	}
}

func TestDefaultBackoffGrowsWithJitter(t *testing.T) {
	for try, base := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 4: 8 * time.Second, 30: time.Minute} {
		for range 50 {
			if w := bot.DefaultBackoff(try); w < base*8/10 || w > base*12/10 {
				t.Fatalf("DefaultBackoff(%d) = %v, want %v ± 20%%", try, w, base)
			}
		}
	}
}

func TestDispatch21610OptsOutAndNothingMoreGoes(t *testing.T) {
	h := newDispHarness(t)
	p := phone(1)
	if err := h.db.Update(func(tx bot.Tx) error { _, err := tx.Subscribe("YOGA", p, dispT0); return err }); err != nil {
		t.Fatal(err)
	}
	h.tw.Script(twiliotest.Response{Status: 400, Code: 21610})
	first := h.send(p, "first", bot.PriorityBulk, 0)
	h.drain(h.dispatcher(0))
	later := h.send(p, "second", bot.PriorityHigh, 0) // a path that did not check
	h.drain(h.dispatcher(0))

	if m := h.msg(first); m.Status != bot.StatusFailed || m.ErrorCode != 21610 {
		t.Errorf("first: %+v", m)
	}
	if m := h.msg(later); m.Status != bot.StatusSkipped {
		t.Errorf("later message is %s, want skipped", m.Status)
	}
	if h.tw.Count() != 1 {
		t.Errorf("%d requests reached Twilio, want 1", h.tw.Count())
	}
	var conv *bot.Conversation
	var subs []bot.Subscription
	err := h.db.View(func(tx bot.Tx) (err error) {
		if conv, err = tx.Conversation(p); err != nil {
			return err
		}
		subs, err = tx.SubscriptionsOf(p)
		return err
	})
	if err != nil || !conv.OptedOut || len(subs) != 0 || !slices.Equal(conv.OptOutLists, []string{"YOGA"}) {
		t.Errorf("after 21610: %+v, lists %v, %v", conv, subs, err)
	}
}

func TestDispatchAfterRestartNeverResendsInFlight(t *testing.T) {
	h := newDispHarness(t)
	inFlight := h.send(phone(1), "was sending", bot.PriorityHigh, 0)
	if _, _, err := h.outbox().Claim(h.clock.Now(), 1, nil); err != nil { // the process dies mid-send
		t.Fatal(err)
	}
	waiting := h.send(phone(2), "still queued", bot.PriorityHigh, 0)
	h.db.Close()
	h.open()
	h.drain(h.dispatcher(0))

	if m := h.msg(inFlight); m.Status != bot.StatusUnknown {
		t.Errorf("in-flight message is %s, want unknown", m.Status)
	}
	if m := h.msg(waiting); m.Status != bot.StatusSent {
		t.Errorf("queued message is %s, want sent", m.Status)
	}
	if reqs := h.tw.Requests(); len(reqs) != 1 || reqs[0].Form.Get("To") != string(phone(2)) {
		t.Errorf("requests after restart: %+v, want only the queued one", reqs)
	}
	h.drain(h.dispatcher(0))
	if h.tw.Count() != 1 {
		t.Errorf("a second run sent again")
	}
}

func TestDispatchAnnouncementReportsOnceInClientLanguage(t *testing.T) {
	h := newDispHarness(t)
	client := phone(500)
	h.putConv(&bot.Conversation{Phone: client, Locale: bot.Spanish, LocaleChosen: true, FirstSeen: dispT0})
	a := &bot.Announcement{Client: client, Keyword: "YOGA", Text: "Clase a las 6", Total: 3, CreatedAt: dispT0,
		Counts: map[bot.MessageStatus]int{bot.StatusQueued: 3}}
	if err := h.db.Update(func(tx bot.Tx) error { return tx.PutAnnouncement(a) }); err != nil {
		t.Fatal(err)
	}
	h.tw.Script(twiliotest.Response{Status: 400, Code: 21211, Message: "invalid To"})
	for i := range 3 {
		h.send(phone(i), "Sunrise Yoga: Clase a las 6", bot.PriorityBulk, a.ID)
	}
	h.drain(h.dispatcher(0))
	h.drain(h.dispatcher(0))

	var reports []string
	for _, r := range h.tw.Sent() {
		if r.Form.Get("To") == string(client) {
			reports = append(reports, r.Form.Get("Body"))
		}
	}
	want := "Tu anuncio fue enviado a 2 de 3 suscriptores. Fallidos: 1."
	if len(reports) != 1 || reports[0] != want {
		t.Fatalf("reports %q, want once %q", reports, want)
	}
	var sid string
	for _, r := range h.tw.Sent() {
		if r.Form.Get("To") != string(client) {
			sid = r.SID
		}
	}
	if err := h.outbox().ApplyStatus(sid, bot.StatusDelivered, 0); err != nil {
		t.Fatal(err)
	}
	h.drain(h.dispatcher(0))
	var got *bot.Announcement
	if err := h.db.View(func(tx bot.Tx) (err error) { got, err = tx.Announcement(a.ID); return err }); err != nil {
		t.Fatal(err)
	}
	c := got.Counts
	if c[bot.StatusSent] != 1 || c[bot.StatusDelivered] != 1 || c[bot.StatusFailed] != 1 || got.Settled != 3 || !got.Reported {
		t.Errorf("announcement %+v", got)
	}
	if n := len(h.tw.Sent()); n != 3 {
		t.Errorf("%d messages accepted, want 2 subscribers and 1 report", n)
	}
}

// Subscribers who leave the list or text STOP after CONFIRM are not sent
// the announcement, and the client's report does not call them failures.
func TestDispatchReportSeparatesLeaversFromFailures(t *testing.T) {
	h := newDispHarness(t)
	client := phone(500)
	h.putConv(&bot.Conversation{Phone: client, Locale: bot.English, FirstSeen: dispT0})
	a := &bot.Announcement{Client: client, Keyword: "YOGA", Text: "Class at 6", Total: 4, CreatedAt: dispT0,
		Counts: map[bot.MessageStatus]int{bot.StatusQueued: 4}}
	if err := h.db.Update(func(tx bot.Tx) error { return tx.PutAnnouncement(a) }); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		h.send(phone(i), "Sunrise Yoga: Class at 6", bot.PriorityBulk, a.ID)
	}
	err := h.db.Update(func(tx bot.Tx) error {
		if _, err := tx.Unsubscribe("YOGA", phone(1)); err != nil { // LEAVE
			return err
		}
		return tx.PutConversation(&bot.Conversation{Phone: phone(2), OptedOut: true, FirstSeen: dispT0}) // STOP
	})
	if err != nil {
		t.Fatal(err)
	}
	h.drain(h.dispatcher(0))
	var to, reports []string
	for _, r := range h.tw.Sent() {
		if r.Form.Get("To") == string(client) {
			reports = append(reports, r.Form.Get("Body"))
		} else {
			to = append(to, r.Form.Get("To"))
		}
	}
	slices.Sort(to) // workers send in parallel
	if want := []string{string(phone(0)), string(phone(3))}; !slices.Equal(to, want) {
		t.Errorf("announcement went to %v, want %v", to, want)
	}
	want := "Your announcement was sent to 2 of 4 subscribers. Failed: 0. Not sent to 2 who left or opted out before it reached them."
	if len(reports) != 1 || reports[0] != want {
		t.Fatalf("reports %q, want once %q", reports, want)
	}
}

func TestDispatchSimulatedPhonesAreCaptured(t *testing.T) {
	h := newDispHarness(t)
	sim := phone(7)
	h.putConv(&bot.Conversation{Phone: sim, Simulated: true, FirstSeen: dispT0})
	id := h.send(sim, "captured", bot.PriorityHigh, 0)
	h.drain(h.dispatcher(1))
	if h.tw.Count() != 0 {
		t.Fatalf("a simulated phone's message reached Twilio")
	}
	got := h.capture.Recent(sim, 5)
	if m := h.msg(id); len(got) != 1 || got[0].Body != "captured" || m.Status != bot.StatusSent || m.SID != got[0].SID {
		t.Errorf("captured %+v, message %+v", got, m)
	}
}

func TestDispatchShutdownFinishesSendsInFlight(t *testing.T) {
	h := newDispHarness(t)
	h.tw.SetDelay(100 * time.Millisecond)
	d := h.dispatcher(0)
	d.Sleep = nil
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	ids := []uint64{h.send(phone(1), "a", bot.PriorityHigh, 0), h.send(phone(2), "b", bot.PriorityHigh, 0)}
	d.Kick()
	for h.tw.Count() < 2 { // both requests are at the fake Twilio, unanswered
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	for _, id := range ids {
		if m := h.msg(id); m.Status != bot.StatusSent {
			t.Errorf("message %d is %s after shutdown, want sent", id, m.Status)
		}
	}
}

func TestDispatchRunFindsWorkQueuedWithoutAKick(t *testing.T) {
	h := newDispHarness(t)
	d := h.dispatcher(0)
	d.Sleep, d.Poll = nil, 5*time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	id := h.send(phone(1), "no kick", bot.PriorityHigh, 0)
	deadline := time.Now().Add(10 * time.Second)
	for h.msg(id).Status != bot.StatusSent && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if m := h.msg(id); m.Status != bot.StatusSent || h.tw.Count() != 1 {
		t.Errorf("message %+v, %d requests: the poll never found it", m, h.tw.Count())
	}
}

// instantSender accepts everything at once, like a provider with no latency.
type instantSender struct{ n atomic.Int64 }

func (s *instantSender) Send(context.Context, bot.OutMessage) (string, error) {
	return fmt.Sprintf("SM%032x", s.n.Add(1)), nil
}

// benchDispatch measures claim → send → record of n queued messages per
// iteration, unpaced, and reports messages per second.
func benchDispatch(b *testing.B, sender bot.Sender, n int) {
	db, err := store.Open(filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	d := bot.NewDispatcher(bot.NewLifecycle(db, locales.MustLoad()), sender, sender, 0)
	d.Log = slog.New(slog.DiscardHandler)
	var elapsed time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		// One announcement to n subscribers, as CONFIRM leaves it: each
		// claim checks the phone is still on the list, each outcome counts.
		err := db.Write(func(tx *store.Tx) error {
			a := &bot.Announcement{Client: phone(n + 1), Keyword: "YOGA", Total: n, CreatedAt: time.Now(),
				Counts: map[bot.MessageStatus]int{bot.StatusQueued: n}}
			if err := tx.PutAnnouncement(a); err != nil {
				return err
			}
			for j := range n {
				if _, err := tx.Subscribe("YOGA", phone(j), time.Now()); err != nil {
					return err
				}
				m := &bot.OutMessage{To: phone(j), Body: "Sunrise Yoga: class moved to 6pm today", Kind: bot.KindAnnouncement,
					Priority: bot.PriorityBulk, NextAt: time.Now(), CreatedAt: time.Now(), AnnouncementID: a.ID}
				if err := tx.Enqueue(m); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		if err := d.Drain(context.Background()); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
	}
	b.ReportMetric(float64(n*b.N)/elapsed.Seconds(), "msgs/s")
}

// BenchmarkDispatch is the dispatcher and store alone (instant sender).
func BenchmarkDispatch(b *testing.B) { benchDispatch(b, &instantSender{}, 10_000) }

// BenchmarkDispatchHTTP sends through a lean local fake Twilio over loopback
// HTTP (twiliotest keeps every request, which is not what is measured here).
func BenchmarkDispatchHTTP(b *testing.B) {
	var seq atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.PostForm.Get("To") == "" {
			http.Error(w, `{"code":21604,"message":"To required"}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"sid":"SM%032x","status":"queued"}`, seq.Add(1))
	}))
	defer srv.Close()
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	benchDispatch(b, &twSender{base: srv.URL, hc: hc}, 10_000)
}
