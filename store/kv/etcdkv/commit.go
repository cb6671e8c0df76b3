package etcdkv

import (
	"fmt"
	"slices"
	"strings"

	"go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"nudges/store/kv"
)

// requestSlack is room left in a request for gRPC and Txn framing.
const requestSlack = 16 << 10

// commit sends the buffered writes in one Txn whose conditions are that no
// key the transaction read has changed since its revision (a nested Txn
// when it shares a request with other commits: group.go). errRetry means
// one has: the transaction must run again.
func (t *tx) commit() error {
	if len(t.writes) == 0 {
		return nil // what it read was one snapshot: nothing to check
	}
	cmps := t.conditions()
	ops, size := t.ops()
	for i := range cmps {
		c := &cmps[i]
		size += len(c.KeyBytes()) + len(c.GetCompare().GetRangeEnd()) + 16
	}
	if err := t.checkLimits(len(cmps), len(ops), size); err != nil {
		return err
	}
	return t.db.submit(&pendingCommit{t: t, cmps: cmps, ops: ops, size: size,
		width: max(len(cmps), len(ops), 1)})
}

// remember caches the buckets the commit created.
func (t *tx) remember() {
	markers := t.db.lay.markers()
	for _, k := range t.written {
		if strings.HasPrefix(k, markers) && t.writes[k] != nil {
			t.db.known.Store(k[len(markers):], struct{}{})
		}
	}
}

// ops are the buffered writes in key order, and their size in bytes.
func (t *tx) ops() ([]clientv3.Op, int) {
	ops := make([]clientv3.Op, 0, len(t.written))
	size := 0
	for _, k := range t.written {
		v := t.writes[k]
		size += len(k) + 16
		if v == nil {
			ops = append(ops, clientv3.OpDelete(k))
			continue
		}
		size += len(*v)
		ops = append(ops, clientv3.OpPut(k, string(*v)))
	}
	return ops, size
}

// conditions are the commit's compares: every key read still has the mod
// revision it was read at (0: still absent), no key in a range read was
// written after the revision, and the fence holds.
func (t *tx) conditions() []clientv3.Cmp {
	cmps := make([]clientv3.Cmp, 0, len(t.reads)+len(t.spans)+1)
	keys := make([]string, 0, len(t.reads))
	for k := range t.reads {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(k), "=", t.reads[k]))
	}
	for _, s := range mergeSpans(t.spans) {
		cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(s.start).WithRange(s.end), "<", t.rev+1))
	}
	if t.fence.Rev != 0 {
		cmps = append(cmps, clientv3.Compare(clientv3.CreateRevision(string(t.fence.Key)), "=", t.fence.Rev))
	}
	return cmps
}

// fenceBroken tells, from a failed commit's Else (a read of the fence
// key), whether the fence key is gone or belongs to another term.
func fenceBroken(rev int64, else_ []*etcdserverpb.ResponseOp) bool {
	if len(else_) == 0 {
		return true
	}
	r := else_[0].GetResponseRange()
	return r == nil || len(r.Kvs) == 0 || r.Kvs[0].CreateRevision != rev
}

// checkLimits refuses, before sending, a transaction etcd would refuse.
func (t *tx) checkLimits(cmps, ops, size int) error {
	max := t.db.opts.MaxTxnOps
	if cmps > max || ops > max {
		return fmt.Errorf("%w: %d conditions (keys and ranges read) and %d writes, etcd allows %d of each per transaction (max-txn-ops)",
			kv.ErrTxTooLarge, cmps, ops, max)
	}
	if limit := t.db.opts.MaxRequestBytes - requestSlack; size > limit {
		return fmt.Errorf("%w: about %d bytes, etcd allows %d per request (max-request-bytes)",
			kv.ErrTxTooLarge, size, t.db.opts.MaxRequestBytes)
	}
	return nil
}

// mergeSpans joins overlapping and touching ranges.
func mergeSpans(spans []span) []span {
	if len(spans) < 2 {
		return spans
	}
	s := slices.Clone(spans)
	slices.SortFunc(s, func(a, b span) int { return strings.Compare(a.start, b.start) })
	out := s[:1]
	for _, x := range s[1:] {
		last := &out[len(out)-1]
		if x.start <= last.end {
			last.end = max(last.end, x.end)
			continue
		}
		out = append(out, x)
	}
	return out
}
