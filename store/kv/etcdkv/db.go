// Package etcdkv is the kv interface on an etcd cluster. An Update is an
// optimistic serializable transaction: its reads happen at one revision and
// are remembered, its writes are buffered, and it commits as one etcd Txn
// whose conditions say that nothing it read has changed since; if something
// has, fn runs again (a bounded number of times, with jitter). Commits that
// arrive while another is on its way share the next request (group.go).
//
// What is remembered: the mod revision of every key Get returned or a
// cursor landed on (a deleted key fails its compare), and every key range
// a cursor paged through (no key in it may be newer than the revision: an
// insertion is a conflict, not a phantom). Each key and merged range is one
// compare, and etcd allows max-txn-ops compares per Txn: an Update that
// writes may visit about that many keys (a read-only Update sends nothing
// and has no limit). A commit that fails on the network may or may not
// have been applied; it is returned as an error and not run again.
package etcdkv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"nudges/store/kv"
)

// Options tune a DB; zero values take the defaults.
type Options struct {
	Prefix          string        // key prefix, DefaultPrefix
	MaxTxnOps       int           // the cluster's --max-txn-ops, 128
	MaxRequestBytes int           // the cluster's --max-request-bytes, 1.5 MiB
	SeqBlock        uint64        // ids reserved at once per bucket, 1000
	RequestTimeout  time.Duration // per etcd request, 5 s
	MaxAttempts     int           // runs of a conflicting Update, 100
	Closer          io.Closer     // closed after the client (an embedded member)
}

func (o Options) withDefaults() Options {
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if o.MaxTxnOps <= 0 {
		o.MaxTxnOps = 128
	}
	if o.MaxRequestBytes <= 0 {
		o.MaxRequestBytes = 3 << 19
	}
	if o.SeqBlock == 0 {
		o.SeqBlock = 1000
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = 5 * time.Second
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 100
	}
	return o
}

// DB is a kv.DB on etcd. It owns its client.
type DB struct {
	cli    *clientv3.Client
	opts   Options
	lay    layout
	known  sync.Map // escaped bucket name → struct{}: buckets seen to exist
	seqMu  sync.Mutex
	blocks map[string]*block
	group  committer // commits waiting to share a request
}

var _ kv.DB = (*DB)(nil)

// New serves kv on cli's cluster; Close closes cli.
func New(cli *clientv3.Client, opts Options) *DB {
	opts = opts.withDefaults()
	return &DB{cli: cli, opts: opts, lay: layout{opts.Prefix}, blocks: map[string]*block{}}
}

// Client is the etcd client (for elections and maintenance).
func (db *DB) Client() *clientv3.Client { return db.cli }

// MaxTxnOps is the most keys one write transaction may read and write
// (the cluster's max-txn-ops).
func (db *DB) MaxTxnOps() int { return db.opts.MaxTxnOps }

// Prefix is the key prefix the DB keeps its data under.
func (db *DB) Prefix() string { return db.opts.Prefix }

// View implements kv.DB: every read is at the revision of the first one.
// fn runs once (it may write to a response): a View that outlives the
// compaction retention fails with a "compacted" error.
func (db *DB) View(fn func(kv.Tx) error) error {
	t := db.begin(false)
	err := fn(t)
	if t.err != nil {
		return t.err
	}
	return err
}

// Update implements kv.DB. fn runs again when what it read changed before
// its commit; after MaxAttempts runs Update fails with kv.ErrConflict.
func (db *DB) Update(fn func(kv.Tx) error) error {
	for attempt := 1; attempt <= db.opts.MaxAttempts; attempt++ {
		t := db.begin(true)
		err := fn(t)
		switch {
		case t.err != nil && retryable(t.err):
			db.backoff(attempt)
			continue
		case t.err != nil:
			return t.err // fn saw a failed read: its own error follows from it
		case err != nil:
			return err
		}
		err = t.commit()
		if !retryable(err) {
			return err
		}
		db.backoff(attempt)
	}
	return fmt.Errorf("%w (%d attempts)", kv.ErrConflict, db.opts.MaxAttempts)
}

// errRetry marks a transaction that must run again from the start.
var errRetry = errors.New("etcdkv: conflict")

func retryable(err error) bool {
	return errors.Is(err, errRetry) || errors.Is(err, rpctypes.ErrCompacted)
}

// backoff sleeps a random time that grows with attempt, up to 50 ms.
func (db *DB) backoff(attempt int) {
	ceiling := time.Duration(min(attempt*attempt, 50)) * time.Millisecond
	time.Sleep(time.Duration(rand.Int64N(int64(ceiling))) + 100*time.Microsecond)
}

// Ping implements kv.DB: a linearizable read needs the cluster's quorum.
func (db *DB) Ping() error {
	ctx, cancel := db.ctx()
	defer cancel()
	if _, err := db.cli.Get(ctx, db.lay.markers(), clientv3.WithCountOnly()); err != nil {
		return fmt.Errorf("etcd quorum: %w", err)
	}
	return nil
}

// Backup implements kv.DB: a snapshot of one member's whole database (all
// of etcd, restorable with etcdutl snapshot restore).
func (db *DB) Backup(w io.Writer) (int64, error) {
	rc, err := db.cli.Snapshot(context.Background())
	if err != nil {
		return 0, fmt.Errorf("etcd snapshot: %w", err)
	}
	defer rc.Close()
	n, err := io.Copy(w, rc)
	if err != nil {
		return n, fmt.Errorf("etcd snapshot: %w", err)
	}
	return n, nil
}

// Close implements kv.DB: it closes the client, then Options.Closer.
func (db *DB) Close() error {
	err := db.cli.Close()
	if db.opts.Closer != nil {
		err = errors.Join(err, db.opts.Closer.Close())
	}
	return err
}

func (db *DB) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), db.opts.RequestTimeout)
}
