package etcdkv

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"nudges/store/kv"
)

// Group commit: while one commit's Txn is on its way, the commits that
// arrive wait, and go together in the next request, each as a nested Txn
// with its own conditions (etcd evaluates every nested condition against
// the state before the request, then applies the branches in order). One
// request, one Raft entry and one WAL write then carry several
// transactions, as bbolt's Batch shares one fsync.
//
// Two commits share a request only when neither wrote a key the other
// read or wrote (or one in a range the other read): each then sees exactly
// what it would have seen committing alone, before or after the other, and
// etcd refuses a request that writes a key twice. A commit that does not fit
// waits for the next request. A request carries at most MaxTxnOps commits
// and each nested Txn loses one op per sibling from etcd's max-txn-ops.

// pendingCommit is one transaction's commit waiting to be sent.
type pendingCommit struct {
	t     *tx
	cmps  []clientv3.Cmp
	ops   []clientv3.Op
	size  int // bytes, as checkLimits counts them
	width int // the most of conditions, writes and else-branch ops
	done  chan error
}

// committer sends commits, at most commitsInFlight requests at once.
type committer struct {
	mu     sync.Mutex
	flying int
	queue  []*pendingCommit

	stats CommitStats
}

// CommitStats count what a DB sent to etcd to commit: transactions, the Txn
// requests that carried them (fewer when commits shared one), and shared
// requests etcd refused as too large, whose commits then went one by one
// (pick counts as etcd does: none are expected).
type CommitStats struct {
	Commits, Requests, Split atomic.Int64
}

// commitsInFlight is how many commit requests one DB has on the way at
// once; the commits that arrive meanwhile wait and share the next.
const commitsInFlight = 1

// Stats are the DB's commit counts so far.
func (db *DB) Stats() *CommitStats { return &db.group.stats }

// submit sends p's commit now, or with the next request when one is on
// its way, and returns its outcome.
func (db *DB) submit(p *pendingCommit) error {
	p.done = make(chan error, 1)
	g := &db.group
	g.mu.Lock()
	if g.flying >= commitsInFlight {
		g.queue = append(g.queue, p)
		g.mu.Unlock()
		return <-p.done
	}
	g.flying++
	g.mu.Unlock()
	db.send([]*pendingCommit{p})
	db.next()
	return <-p.done
}

// next sends what waits, in a goroutine of its own so that the caller
// returns with its outcome now, or ends the flight.
func (db *DB) next() {
	g := &db.group
	g.mu.Lock()
	if len(g.queue) == 0 {
		g.flying--
		g.mu.Unlock()
		return
	}
	var batch []*pendingCommit
	batch, g.queue = db.pick(g.queue)
	g.mu.Unlock()
	go func() {
		db.send(batch)
		db.next()
	}()
}

// pick takes from queue, in order, the commits that can share one
// request; the first always goes.
func (db *DB) pick(queue []*pendingCommit) (batch, rest []*pendingCommit) {
	limit := db.opts.MaxTxnOps
	room := db.opts.MaxRequestBytes - requestSlack
	var set footprint
	width, size := 0, 0
	for i, p := range queue {
		w, s := max(width, p.width), size+p.size+64
		fits := i == 0 || (len(batch)+1+w <= limit && s <= room && !set.overlaps(p.t))
		if !fits {
			rest = append(rest, p)
			continue
		}
		batch, width, size = append(batch, p), w, s
		set.add(p.t)
	}
	return batch, rest
}

// footprint is the keys and ranges a request's commits read and wrote.
type footprint struct {
	read, written map[string]struct{}
	spans         []span
}

func (f *footprint) add(t *tx) {
	if f.read == nil {
		f.read, f.written = map[string]struct{}{}, map[string]struct{}{}
	}
	for k := range t.reads {
		f.read[k] = struct{}{}
	}
	for _, k := range t.written {
		f.written[k] = struct{}{}
	}
	f.spans = append(f.spans, t.spans...)
}

// overlaps: t wrote what the footprint read or wrote, or read what it wrote.
func (f *footprint) overlaps(t *tx) bool {
	for _, k := range t.written {
		if _, ok := f.written[k]; ok {
			return true
		}
		if _, ok := f.read[k]; ok {
			return true
		}
		if inSpans(f.spans, k) {
			return true
		}
	}
	for k := range t.reads {
		if _, ok := f.written[k]; ok {
			return true
		}
	}
	for w := range f.written {
		if inSpans(t.spans, w) {
			return true
		}
	}
	return false
}

func inSpans(spans []span, k string) bool {
	return slices.ContainsFunc(spans, func(s span) bool {
		return k >= s.start && k < s.end
	})
}

// send commits batch in one Txn request (alone: as a plain Txn) and
// hands each commit its outcome.
func (db *DB) send(batch []*pendingCommit) {
	st := &db.group.stats
	st.Commits.Add(int64(len(batch)))
	st.Requests.Add(1)
	if len(batch) == 1 {
		p := batch[0]
		resp, err := db.txn(p.cmps, p.ops, p.elseOps())
		p.done <- p.t.outcome(err, resp)
		return
	}
	nested := make([]clientv3.Op, len(batch))
	for i, p := range batch {
		nested[i] = clientv3.OpTxn(p.cmps, p.ops, p.elseOps())
	}
	resp, err := db.txn(nil, nested, nil)
	if errors.Is(err, kv.ErrTxTooLarge) {
		st.Split.Add(1)
		st.Requests.Add(int64(len(batch)))
		for _, p := range batch { // etcd counts otherwise than pick did: one at a time
			resp, err := db.txn(p.cmps, p.ops, p.elseOps())
			p.done <- p.t.outcome(err, resp)
		}
		return
	}
	for i, p := range batch {
		if err != nil {
			p.done <- err
			continue
		}
		sub := resp.Responses[i].GetResponseTxn()
		p.done <- p.t.outcome(nil, (*clientv3.TxnResponse)(sub))
	}
}

// elseOps read the fence key when the conditions fail, to tell a broken
// fence from a conflict.
func (p *pendingCommit) elseOps() []clientv3.Op {
	if p.t.fence.Rev == 0 {
		return nil
	}
	return []clientv3.Op{clientv3.OpGet(string(p.t.fence.Key))}
}

// txn sends one Txn request.
func (db *DB) txn(cmps []clientv3.Cmp, then, els []clientv3.Op) (*clientv3.TxnResponse, error) {
	ctx, cancel := db.ctx()
	defer cancel()
	resp, err := db.cli.Txn(ctx).If(cmps...).Then(then...).Else(els...).Commit()
	switch {
	case errors.Is(err, rpctypes.ErrTooManyOps), errors.Is(err, rpctypes.ErrRequestTooLarge):
		return nil, fmt.Errorf("%w: %w", kv.ErrTxTooLarge, err)
	case err != nil:
		// The outcome is unknown (the Txn may have been applied): not retried.
		return nil, fmt.Errorf("etcd commit: %w", err)
	}
	return resp, nil
}

// outcome is what a commit's Txn (or nested Txn) response means for t.
func (t *tx) outcome(err error, resp *clientv3.TxnResponse) error {
	switch {
	case err != nil:
		return err
	case resp == nil:
		return fmt.Errorf("etcd commit: no response")
	case resp.Succeeded:
		t.remember()
		return nil
	case t.fence.Rev != 0 && fenceBroken(t.fence.Rev, resp.Responses):
		return kv.ErrFenced
	}
	return errRetry
}
