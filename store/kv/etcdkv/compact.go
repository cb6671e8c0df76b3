package etcdkv

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// CompactLoop keeps the cluster's history to about one interval until ctx
// ends (it always returns nil): every interval it compacts to the revision it saw at the previous
// tick. etcd keeps every revision until compacted, so without this (or the
// server's --auto-compaction-retention) its data file only grows. Several
// processes may run it: compacting to an already compacted revision is a
// no-op.
func (db *DB) CompactLoop(ctx context.Context, every time.Duration) error {
	tick := time.NewTicker(every)
	defer tick.Stop()
	var prev int64
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		rev, err := db.compactTo(ctx, prev)
		if err != nil {
			slog.Warn("etcd compaction", "err", err) // tried again at the next tick
		}
		prev = rev
	}
}

// compactTo compacts to rev (if set) and returns the current revision.
func (db *DB) compactTo(ctx context.Context, rev int64) (int64, error) {
	rctx, cancel := context.WithTimeout(ctx, db.opts.RequestTimeout)
	defer cancel()
	resp, err := db.cli.Get(rctx, db.lay.markers(), clientv3.WithCountOnly())
	if err != nil {
		return 0, fmt.Errorf("etcd revision: %w", err)
	}
	if rev > 0 {
		_, err = db.cli.Compact(rctx, rev)
		if err != nil && !errors.Is(err, rpctypes.ErrCompacted) && ctx.Err() == nil {
			return 0, fmt.Errorf("etcd compaction to %d: %w", rev, err)
		}
	}
	return resp.Header.Revision, nil
}
