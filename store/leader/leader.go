// Package leader chooses the one process that does a job only one process
// may do at a time (the outbox dispatcher): on etcd by election, on a
// bbolt file trivially (one file has one process).
package leader

import (
	"context"
	"sync"
	"time"

	"nudges/store/kv"
)

// Term is one process's leadership, from winning a campaign until Lost.
type Term interface {
	// Token is the term's fencing token: it grows with every new term.
	Token() int64
	// Fence is the condition under which the leader's writes commit
	// (kv.Tx.Fence): a deposed leader's fenced commits fail.
	Fence() kv.Fence
	// Lost closes when the term ends: resigned, or its session expired.
	Lost() <-chan struct{}
	// Resign ends the term at once, so another process takes over now
	// rather than when the session would expire.
	Resign(ctx context.Context) error
}

// Elector wins terms.
type Elector interface {
	// Campaign blocks until this process leads, or ctx ends.
	Campaign(ctx context.Context) (Term, error)
}

// Always is the elector of a process that is alone: every campaign wins at
// once, with a fence that is no condition.
type Always struct{}

var _ Elector = Always{}

// Campaign implements Elector.
func (Always) Campaign(context.Context) (Term, error) {
	return &aloneTerm{lost: make(chan struct{})}, nil
}

type aloneTerm struct {
	once sync.Once
	lost chan struct{}
}

func (*aloneTerm) Token() int64            { return 1 }
func (*aloneTerm) Fence() kv.Fence         { return kv.Fence{} }
func (t *aloneTerm) Lost() <-chan struct{} { return t.lost }
func (t *aloneTerm) Resign(context.Context) error {
	t.once.Do(func() { close(t.lost) })
	return nil
}

// ResignTimeout bounds a resignation: without a quorum it cannot happen,
// and the term ends when its session expires instead.
const ResignTimeout = 2 * time.Second

// Run does job whenever this process leads, until ctx ends: it campaigns,
// runs job with a context that ends when the term is lost, and campaigns
// again. When ctx ends it resigns at once (SIGTERM hands over in
// milliseconds, not a session's TTL). job gets the term for its fence.
func Run(ctx context.Context, e Elector, job func(ctx context.Context, t Term) error) error {
	for ctx.Err() == nil {
		t, err := e.Campaign(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		jctx, cancel := context.WithCancel(ctx)
		go func() {
			select {
			case <-t.Lost():
			case <-jctx.Done():
			}
			cancel()
		}()
		err = job(jctx, t)
		cancel()
		rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), ResignTimeout)
		rerr := t.Resign(rctx)
		rcancel()
		if err != nil && ctx.Err() == nil {
			return err
		}
		if ctx.Err() != nil {
			return rerr
		}
	}
	return nil
}
