package leader

import (
	"context"
	"fmt"
	"sync"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"

	"nudges/store/kv"
)

// Etcd elects among the processes sharing an etcd cluster.
type Etcd struct {
	cli    *clientv3.Client
	prefix string // the election's key prefix
	name   string // this candidate, shown as the leader key's value
	ttl    int    // session seconds: a dead leader is replaced after about this
}

var _ Elector = (*Etcd)(nil)

// NewEtcd is an elector for the election under prefix (e.g.
// /nudges/v1/.leader/dispatcher); name tells candidates apart in etcdctl;
// ttlSeconds ≤ 0 means 5.
func NewEtcd(cli *clientv3.Client, prefix, name string, ttlSeconds int) *Etcd {
	if ttlSeconds <= 0 {
		ttlSeconds = 5
	}
	return &Etcd{cli: cli, prefix: prefix, name: name, ttl: ttlSeconds}
}

// Campaign implements Elector with a session (a lease kept alive while the
// process lives) and concurrency.Election.
func (e *Etcd) Campaign(ctx context.Context) (Term, error) {
	// The session's requests end with ctx: without a quorum its lease
	// grant would otherwise wait for ever, and a stop with it.
	s, err := concurrency.NewSession(e.cli, concurrency.WithTTL(e.ttl), concurrency.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("election session: %w", err)
	}
	el := concurrency.NewElection(s, e.prefix)
	if err := el.Campaign(ctx, e.name); err != nil {
		s.Close()
		return nil, fmt.Errorf("campaign: %w", err)
	}
	wctx, cancel := context.WithCancel(context.Background())
	t := &etcdTerm{s: s, el: el, cancel: cancel, lost: make(chan struct{})}
	go t.watch(wctx, e.cli)
	return t, nil
}

type etcdTerm struct {
	s      *concurrency.Session
	el     *concurrency.Election
	cancel context.CancelFunc
	once   sync.Once
	lost   chan struct{}
}

// Token implements Term: the leader key's create revision.
func (t *etcdTerm) Token() int64 { return t.el.Rev() }

// Fence implements Term: the leader key still has this term's revision.
func (t *etcdTerm) Fence() kv.Fence {
	return kv.Fence{Key: []byte(t.el.Key()), Rev: t.el.Rev()}
}

// Lost implements Term.
func (t *etcdTerm) Lost() <-chan struct{} { return t.lost }

// Resign implements Term: the leader key and the session's lease go now,
// or, when ctx ends first (no quorum), when the lease expires.
func (t *etcdTerm) Resign(ctx context.Context) error {
	defer t.end()
	err := t.el.Resign(ctx)
	t.s.Orphan() // stop renewing the lease: revoked now, or left to expire
	if _, rerr := t.s.Client().Revoke(ctx, t.s.Lease()); err == nil {
		err = rerr
	}
	if err != nil {
		return fmt.Errorf("resign: %w", err)
	}
	return nil
}

func (t *etcdTerm) end() {
	t.once.Do(func() {
		t.cancel()
		close(t.lost)
	})
}

// watch ends the term when the session expires or the leader key goes
// (deleted, or its lease revoked).
func (t *etcdTerm) watch(ctx context.Context, cli *clientv3.Client) {
	defer t.end()
	wch := cli.Watch(ctx, t.el.Key(), clientv3.WithRev(t.el.Rev()+1))
	for {
		select {
		case <-t.s.Done():
			return
		case resp, ok := <-wch:
			if !ok || resp.Err() != nil {
				return
			}
			for _, ev := range resp.Events {
				if ev.Type == mvccpb.DELETE {
					return
				}
			}
		}
	}
}
