package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"nudges/bot"
	"nudges/store"
	"nudges/store/kv/etcdkv"
	"nudges/store/kv/kvopen"
	"nudges/store/leader"
	"nudges/webhooks/stripe"
)

// leaderWork is what only one of the processes sharing a store may run at
// a time: the outbox dispatcher (so pacing stays global and nothing is
// sent twice), the fan-out worker, the scheduler and retention. It runs while this
// process holds the election: on bbolt at once and for good, on etcd while
// this process leads.
type leaderWork struct {
	db     *store.DB
	outbox *bot.Lifecycle
	disp   *bot.Dispatcher
	fan    *bot.FanOut
	others []func(context.Context) error // the scheduler, retention
	run    func(ctx context.Context) error
}

// elect returns the loop that campaigns and runs the work while leading,
// and whether several processes may share the store.
func (w *leaderWork) elect(db *store.DB, cfg config) (func(ctx context.Context) error, bool) {
	el, shared := elector(db, cfg)
	return func(ctx context.Context) error {
		err := leader.Run(ctx, el, w.term)
		if err != nil && ctx.Err() != nil {
			// a stop without a quorum: the term ends with its session
			slog.Warn("leadership not resigned; another process takes over when its session expires",
				"ttl_seconds", electionTTL, "err", err)
			return nil
		}
		return err
	}, shared
}

// electionTTL is the etcd session of a leader: a process that dies is
// replaced after about this long.
const electionTTL = 5

func elector(db *store.DB, cfg config) (leader.Elector, bool) {
	e, ok := db.KV().(*etcdkv.DB)
	if !ok {
		return leader.Always{}, false
	}
	host, _ := os.Hostname()
	name := fmt.Sprintf("%s pid %d %s", host, os.Getpid(), cfg.Addr)
	return leader.NewEtcd(e.Client(), e.Prefix()+".leader/dispatcher", name, electionTTL), true
}

// term runs the work for one term with every write fenced by it, so that
// a deposed leader's claims and records fail. The dispatcher starts by
// marking rows earlier terms left sending as unknown (never resent), and
// the fan-out by finishing any broadcast left unfinished.
func (w *leaderWork) term(ctx context.Context, t leader.Term) error {
	st := w.db.Fenced(t.Fence())
	q := *w.outbox
	q.Store = st
	w.disp.Queue, w.fan.Store = &q, st
	if t.Fence().Rev != 0 {
		slog.Info("leading: this process dispatches the outbox", "term", t.Token())
	}
	jobs := append([]func(context.Context) error{w.disp.Run, w.fan.Run}, w.others...)
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for i, job := range jobs {
		wg.Go(func() { errs[i] = job(ctx) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil && ctx.Err() == nil {
		slog.Error("leader's work stopped; campaigning again", "err", err)
		select { // not a hot loop when, say, the store is unreachable
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
	return nil
}

// openDB opens the store NUDGES_STORE names.
func openDB(cfg kvopen.Config) (*store.DB, error) {
	if cfg.Kind == kvopen.Bolt {
		return store.Open(cfg.Path)
	}
	k, err := kvopen.Open(cfg)
	if err != nil {
		return nil, err
	}
	db, err := store.OpenKV(k)
	if err != nil {
		k.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	return db, nil
}

// storeName is the store for the start-up log line.
func storeName(cfg config) string {
	switch cfg.Store.Kind {
	case kvopen.Bolt:
		return cfg.Store.Path
	case kvopen.Etcd:
		return fmt.Sprintf("etcd %v", cfg.Store.Endpoints)
	}
	return "etcd member " + cfg.Store.Member.Name + " in " + cfg.Store.Member.Dir
}

// paidCanceler is the leader's paid-list worker: Stripe's cancellations
// at period end when Stripe is configured (api not nil), and in any mode
// the sweep of memberships whose paid time ended.
func paidCanceler(db *store.DB, api *stripe.API) *bot.PaidCanceler {
	w := bot.NewPaidCanceler(db, nil, bot.SystemClock{})
	if api != nil { // a nil *API in the interface would count as set
		w.Provider = api
	}
	return w
}
