package etcdkv_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"nudges/bot"
	"nudges/flows"
	"nudges/locales"
	"nudges/store"
	"nudges/store/kv/etcdkv"
	"nudges/store/kv/etcdkv/etcdtest"
)

// countKV counts the requests the store sends to etcd: every Get and every
// Txn (read-only or a commit), and the commits refused by their conditions.
type countKV struct {
	clientv3.KV
	gets, txns, refused atomic.Int64
	trace               bool
}

func (c *countKV) Get(ctx context.Context, key string, opts ...clientv3.OpOption) (*clientv3.GetResponse, error) {
	c.gets.Add(1)
	if c.trace {
		fmt.Fprintf(os.Stderr, "get %q\n", key)
	}
	return c.KV.Get(ctx, key, opts...)
}

func (c *countKV) Txn(ctx context.Context) clientv3.Txn { return &countTxn{Txn: c.KV.Txn(ctx), c: c} }

type countTxn struct {
	clientv3.Txn
	c *countKV
}

func (t *countTxn) If(cs ...clientv3.Cmp) clientv3.Txn   { t.Txn = t.Txn.If(cs...); return t }
func (t *countTxn) Then(ops ...clientv3.Op) clientv3.Txn { t.Txn = t.Txn.Then(ops...); return t }
func (t *countTxn) Else(ops ...clientv3.Op) clientv3.Txn { t.Txn = t.Txn.Else(ops...); return t }

func (t *countTxn) Commit() (*clientv3.TxnResponse, error) {
	t.c.txns.Add(1)
	if t.c.trace {
		fmt.Fprintln(os.Stderr, "txn")
	}
	resp, err := t.Txn.Commit()
	if err == nil {
		t.c.refused.Add(int64(refused(resp)))
	}
	return resp, err
}

// refused counts the commits a Txn's conditions refused: the Txn's own,
// or those of the nested Txns of commits that shared it.
func refused(resp *clientv3.TxnResponse) int {
	n := 0
	for _, r := range resp.Responses {
		if sub := r.GetResponseTxn(); sub != nil && !sub.Succeeded {
			n++
		}
	}
	if n == 0 && !resp.Succeeded {
		n = 1
	}
	return n
}

// turnWords is the load command's mix: joins, lists, leaves, help, noise.
var turnWords = []string{"JOIN YOGA", "LIST", "YOGA", "LEAVE", "HELP", "hello?", "LIST", "JOIN BAKERY", "LEAVE ALL", "thanks"}

// etcdEngine is the real engine (flows) on a store on one embedded member,
// its client's requests counted.
func etcdEngine(b *testing.B) (*bot.Engine, *countKV) { return etcdEngineT(b) }

func etcdEngineT(b testing.TB) (*bot.Engine, *countKV) {
	b.Helper()
	m := etcdtest.Start(b, 1)[0]
	cli, err := m.Client()
	if err != nil {
		b.Fatal(err)
	}
	counter := &countKV{KV: cli.KV, trace: os.Getenv("NUDGES_TRACE_ETCD") != ""}
	cli.KV = counter
	db, err := store.OpenKV(etcdkv.New(cli, etcdkv.Options{Prefix: "/turns/", MaxTxnOps: etcdkv.DefaultMemberMaxTxnOps}))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	t0 := time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC)
	err = db.Update(func(tx bot.Tx) error {
		for i, kw := range []string{"YOGA", "BAKERY"} {
			c := &bot.Client{Phone: bot.Phone(fmt.Sprintf("+1555999000%d", i)), Keyword: kw,
				Name: kw + " club", Status: bot.ClientActive, CreatedAt: t0}
			if err := tx.PutClient(c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	brain := &flows.Brain{ServiceNumber: "+15550000000", PublicURL: "http://localhost:8080", Support: "http://localhost:8080/help"}
	e := &bot.Engine{Store: db, Brain: brain, Clock: bot.NewFixedClock(t0), T: locales.MustLoad(),
		DefaultLocale: bot.English, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	return e, counter
}

// warm sends every phone's first text (new conversations) and reads the
// buckets' markers, which a process reads once; the clock then moves on,
// so that later turns are of phones seen before.
func warm(b *testing.B, e *bot.Engine) {
	b.Helper()
	for i := range 200 {
		if _, err := e.Handle(context.Background(), turnIn(i)); err != nil {
			b.Fatal(err)
		}
	}
	e.Clock.(*bot.FixedClock).Advance(time.Minute)
}

// turnIn is the i-th message of the mix: 200 phones, each texting the words
// in turn.
func turnIn(i int) bot.Inbound {
	return bot.Inbound{SID: fmt.Sprintf("SM%032x", i), From: bot.Phone(fmt.Sprintf("+1555%07d", i%200)),
		To: "+15550000000", Body: turnWords[(i/200)%len(turnWords)]}
}

// BenchmarkEngineTurnEtcd is the real engine's turn on one embedded member:
// the requests a turn sends to etcd (gets and txns per turn, and the
// commits refused by a conflict), one caller and 32 at once. Bounded: run
// with -benchtime=2000x.
//
//	go test ./store/kv/etcdkv -run '^$' -bench EngineTurnEtcd -benchtime 2000x
func BenchmarkEngineTurnEtcd(b *testing.B) {
	for _, par := range []int{1, 32} {
		b.Run(fmt.Sprintf("callers=%d", par), func(b *testing.B) {
			e, counter := etcdEngine(b)
			ctx := context.Background()
			warm(b, e)
			g0, t0, r0 := counter.gets.Load(), counter.txns.Load(), counter.refused.Load()
			var next atomic.Int64
			next.Store(200)
			var wg sync.WaitGroup
			b.ResetTimer()
			for range par {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := next.Add(1); i <= int64(b.N)+200; i = next.Add(1) {
						if _, err := e.Handle(ctx, turnIn(int(i))); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			n := float64(b.N)
			b.ReportMetric(float64(counter.gets.Load()-g0)/n, "gets/turn")
			b.ReportMetric(float64(counter.txns.Load()-t0)/n, "txns/turn")
			b.ReportMetric(float64(counter.refused.Load()-r0)/n, "refused/turn")
			b.ReportMetric(n/b.Elapsed().Seconds(), "turns/s")
		})
	}
}

// A join, a leave or a keyword texted by a phone the service knows sends
// etcd three requests: its prefetch (with the guessed keyword's owner and
// the phone's subscription to it), one read of the owner's record and
// endpoints, and its commit (before the prefetch: a request per key read,
// about ten). Texts that read each of the phone's other lists (HELP, LIST,
// unknown words, a leave while on other lists) cost up to three more
// requests per list.
func TestTurnRequestsOnEtcd(t *testing.T) {
	if testing.Short() {
		t.Skip("an etcd member")
	}
	e, counter := etcdEngineT(t)
	ctx := context.Background()
	const p = "+15550001234"
	// Warm up: the phone's conversation, the bucket markers and the id
	// blocks of the log and consent records, which a process reads once.
	for i, w := range []struct{ from, body string }{{p, "hello"}, {"+15550004321", "JOIN BAKERY"}} {
		if _, err := e.Handle(ctx, bot.Inbound{SID: fmt.Sprintf("SMw%d", i), From: bot.Phone(w.from), To: "+15550000000", Body: w.body}); err != nil {
			t.Fatal(err)
		}
	}
	for i, body := range []string{"JOIN YOGA", "LEAVE YOGA", "join bakery", "LEAVE BAKERY", "YOGA"} {
		before := counter.gets.Load() + counter.txns.Load()
		if _, err := e.Handle(ctx, bot.Inbound{SID: fmt.Sprintf("SMt%d", i), From: p, To: "+15550000000", Body: body}); err != nil {
			t.Fatal(err)
		}
		if n := counter.gets.Load() + counter.txns.Load() - before; n > 3 {
			t.Errorf("%q: %d requests to etcd, want at most 3", body, n)
		}
	}
}
