package etcdkv

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"nudges/store/kv"
)

// tx is one transaction: reads at rev, recorded; writes buffered.
type tx struct {
	db       *DB
	writable bool
	rev      int64              // the revision every read sees; 0 before the first
	err      error              // the first failed read: the transaction is void
	reads    map[string]int64   // etcd key → mod revision read (0: absent)
	spans    []span             // key ranges read
	writes   map[string]*[]byte // etcd key → value, nil: deleted
	written  []string           // the keys of writes, sorted
	fence    kv.Fence
	buckets  map[string]*bucket
	points   map[string]*mvccpb.KeyValue    // prefetched keys (nil: absent)
	pages    map[span]*clientv3.GetResponse // prefetched first pages of prefixes
}

// span is a key range [start, end) read at the transaction's revision.
type span struct{ start, end string }

func (db *DB) begin(writable bool) *tx {
	return &tx{db: db, writable: writable, reads: map[string]int64{},
		writes: map[string]*[]byte{}, buckets: map[string]*bucket{}}
}

// fail voids the transaction with its first failed read.
func (t *tx) fail(err error) {
	if t.err == nil {
		t.err = err
	}
}

// get reads one key at the transaction's revision (fixing it if unset),
// from what was prefetched if it was.
func (t *tx) get(key string) (*mvccpb.KeyValue, bool) {
	if t.err != nil {
		return nil, false
	}
	kvp, hit := t.points[key]
	if !hit {
		resp, ok := t.read(key)
		if !ok {
			return nil, false
		}
		if len(resp.Kvs) > 0 {
			kvp = resp.Kvs[0]
		}
	}
	if t.writable {
		if kvp != nil {
			t.reads[key] = kvp.ModRevision
		} else {
			t.reads[key] = 0
		}
	}
	return kvp, true
}

// read runs one Get at the transaction's revision. The first read of a
// transaction is linearizable and fixes the revision; later ones are
// served by the nearest member at that revision.
func (t *tx) read(key string, opts ...clientv3.OpOption) (*clientv3.GetResponse, bool) {
	if t.rev != 0 {
		opts = append(opts, clientv3.WithRev(t.rev), clientv3.WithSerializable())
	}
	var resp *clientv3.GetResponse
	ok := t.call(key, func(ctx context.Context) (*etcdserverpb.ResponseHeader, error) {
		var err error
		resp, err = t.db.cli.Get(ctx, key, opts...)
		if err != nil {
			return nil, err
		}
		return resp.Header, nil
	})
	return resp, ok
}

// call runs one read request, retried while the member has not caught up
// with the transaction's revision ("required revision is a future
// revision"); the first fixes the revision. A failure voids the
// transaction (a compacted revision makes it run again).
func (t *tx) call(what string, req func(context.Context) (*etcdserverpb.ResponseHeader, error)) bool {
	if t.err != nil {
		return false
	}
	for try := 0; ; try++ {
		ctx, cancel := t.db.ctx()
		h, err := req(ctx)
		cancel()
		if isFutureRev(err) && try < 200 {
			time.Sleep(5 * time.Millisecond)
			continue
		}
		if errors.Is(err, rpctypes.ErrCompacted) {
			t.fail(fmt.Errorf("%w: read revision compacted", errRetry))
			return false
		}
		if err != nil {
			t.fail(fmt.Errorf("etcd read %q: %w", what, err))
			return false
		}
		if t.rev == 0 {
			t.rev = h.Revision
		}
		return true
	}
}

func isFutureRev(err error) bool {
	return err != nil && (errors.Is(err, rpctypes.ErrFutureRev) ||
		strings.Contains(err.Error(), "required revision is a future revision"))
}

// write buffers a put of value (a delete if nil) for the commit.
func (t *tx) write(key string, value []byte) {
	var v *[]byte
	if value != nil {
		c := slices.Clone(value)
		v = &c
	}
	if _, ok := t.writes[key]; !ok {
		i, _ := slices.BinarySearch(t.written, key)
		t.written = slices.Insert(t.written, i, key)
	}
	t.writes[key] = v
}

// readRange records that [start, end) was read, for the commit's conditions.
func (t *tx) readRange(start, end string) {
	if t.writable {
		t.spans = append(t.spans, span{start, end})
	}
}

// Bucket implements kv.Tx.
func (t *tx) Bucket(name []byte) kv.Bucket {
	if b := t.bucket(name); b != nil {
		return b
	}
	return nil
}

func (t *tx) bucket(name []byte) *bucket {
	esc := escape(name)
	if b, ok := t.buckets[esc]; ok {
		return b
	}
	if _, ok := t.db.known.Load(esc); !ok {
		if _, written := t.writes[t.db.lay.marker(name)]; !written {
			kvp, ok := t.get(t.db.lay.marker(name))
			if !ok || kvp == nil {
				return nil
			}
			t.db.known.Store(esc, struct{}{}) // committed: buckets are never dropped
		}
	}
	b := &bucket{tx: t, name: slices.Clone(name), base: t.db.lay.data(name)}
	t.buckets[esc] = b
	return b
}

// CreateBucketIfNotExists implements kv.Tx.
func (t *tx) CreateBucketIfNotExists(name []byte) (kv.Bucket, error) {
	if !t.writable {
		return nil, kv.ErrTxNotWritable
	}
	if len(name) == 0 {
		return nil, fmt.Errorf("create bucket: %w", kv.ErrKeyRequired)
	}
	if b := t.bucket(name); b != nil {
		return b, nil
	}
	if t.err != nil {
		return nil, t.err
	}
	t.write(t.db.lay.marker(name), []byte("1"))
	return t.bucket(name), nil
}

// ForEachBucket implements kv.Tx.
func (t *tx) ForEachBucket(fn func(name []byte) error) error {
	markers := &bucket{tx: t, base: t.db.lay.markers()}
	var names [][]byte
	err := markers.ForEach(func(k, _ []byte) error {
		name, err := unescape(string(k))
		names = append(names, name)
		return err
	})
	if err == nil {
		err = t.err
	}
	if err != nil {
		return err
	}
	sort.Slice(names, func(i, j int) bool { return string(names[i]) < string(names[j]) })
	for _, n := range names {
		if err := fn(n); err != nil {
			return err
		}
	}
	return nil
}

// Writable implements kv.Tx.
func (t *tx) Writable() bool { return t.writable }

// Fence implements kv.Tx.
func (t *tx) Fence(f kv.Fence) { t.fence = f }
