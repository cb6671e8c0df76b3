package etcdkv

import (
	"context"

	"go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"nudges/store/kv"
)

var _ kv.Prefetcher = (*tx)(nil)

// Prefetch implements kv.Prefetcher: one read-only Txn of a Range per key
// and per prefix (its first page, as a PrefixCursor would fetch it), at the
// transaction's revision (the first read fixes it, linearizably). Nothing
// is recorded as read until a Get or a cursor uses it, so a key prefetched
// and never read adds no conflict.
func (t *tx) Prefetch(reads ...kv.Read) {
	var ops []clientv3.Op
	var keys []span // start, end: a point when end is ""
	for _, r := range reads {
		b := t.bucket(r.Bucket)
		if b == nil || t.err != nil {
			continue
		}
		full := b.base + string(r.Key)
		if r.Prefix {
			top := end(full)
			if _, fetched := t.pages[span{full, top}]; fetched {
				continue
			}
			ops = append(ops, clientv3.OpGet(full, t.atRev(clientv3.WithRange(top), clientv3.WithLimit(firstPage))...))
			keys = append(keys, span{full, top})
			continue
		}
		_, written := t.writes[full]
		_, fetched := t.points[full]
		if !written && !fetched {
			ops = append(ops, clientv3.OpGet(full, t.atRev()...))
			keys = append(keys, span{full, ""})
		}
	}
	if len(ops) == 0 {
		return
	}
	var resp *clientv3.TxnResponse
	ok := t.call("prefetch", func(ctx context.Context) (*etcdserverpb.ResponseHeader, error) {
		var err error
		resp, err = t.db.cli.Txn(ctx).Then(ops...).Commit()
		if err != nil {
			return nil, err
		}
		return resp.Header, nil
	})
	if !ok || len(resp.Responses) != len(keys) {
		return
	}
	t.keep(keys, resp.Responses)
}

// atRev adds to opts the transaction's revision once it is fixed.
func (t *tx) atRev(opts ...clientv3.OpOption) []clientv3.OpOption {
	if t.rev != 0 {
		opts = append(opts, clientv3.WithRev(t.rev), clientv3.WithSerializable())
	}
	return opts
}

// keep stores a prefetch's answers for the reads that will use them.
func (t *tx) keep(keys []span, answers []*etcdserverpb.ResponseOp) {
	if t.points == nil {
		t.points, t.pages = map[string]*mvccpb.KeyValue{}, map[span]*clientv3.GetResponse{}
	}
	for i, k := range keys {
		r := answers[i].GetResponseRange()
		if r == nil {
			continue
		}
		if k.end != "" {
			t.pages[k] = (*clientv3.GetResponse)(r)
			continue
		}
		var kvp *mvccpb.KeyValue
		if len(r.Kvs) > 0 {
			kvp = r.Kvs[0]
		}
		t.points[k.start] = kvp
	}
}

// page is the prefetched first page of [start, top), if there is one.
func (t *tx) page(start, top string, limit int64) (*clientv3.GetResponse, bool) {
	if limit != firstPage || t.err != nil {
		return nil, false
	}
	resp, ok := t.pages[span{start, top}]
	return resp, ok
}
