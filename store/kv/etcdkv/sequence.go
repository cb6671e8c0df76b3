package etcdkv

import (
	"fmt"
	"strconv"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// block is a run of ids this process reserved for one bucket: next..last.
type block struct{ next, last uint64 }

// nextID hands out the next id of this process's block for bucket,
// reserving a new block (a compare-and-swap on the bucket's counter key,
// committed at once, whatever becomes of the transaction) when it is used
// up. Ids of a block a process never uses are skipped: ids are unique and
// increasing per process, not gap-free.
func (db *DB) nextID(bucket []byte) (uint64, error) {
	db.seqMu.Lock()
	defer db.seqMu.Unlock()
	key := db.lay.counter(bucket)
	b := db.blocks[key]
	if b == nil || b.next > b.last {
		first, err := db.reserve(key)
		if err != nil {
			return 0, err
		}
		b = &block{next: first, last: first + db.opts.SeqBlock - 1}
		db.blocks[key] = b
	}
	id := b.next
	b.next++
	return id, nil
}

// reserve moves the counter at key up by one block and returns the
// block's first id.
func (db *DB) reserve(key string) (uint64, error) {
	for attempt := 1; attempt <= db.opts.MaxAttempts; attempt++ {
		ctx, cancel := db.ctx()
		resp, err := db.cli.Get(ctx, key)
		if err != nil {
			cancel()
			return 0, fmt.Errorf("read id counter: %w", err)
		}
		var cur uint64
		var mod int64
		if len(resp.Kvs) > 0 {
			mod = resp.Kvs[0].ModRevision
			if cur, err = parseCounter(resp.Kvs[0].Value); err != nil {
				cancel()
				return 0, err
			}
		}
		top := cur + db.opts.SeqBlock
		txn, err := db.cli.Txn(ctx).
			If(clientv3.Compare(clientv3.ModRevision(key), "=", mod)).
			Then(clientv3.OpPut(key, strconv.FormatUint(top, 10))).Commit()
		cancel()
		if err != nil {
			return 0, fmt.Errorf("reserve ids: %w", err)
		}
		if txn.Succeeded {
			return cur + 1, nil
		}
		db.backoff(attempt)
	}
	return 0, fmt.Errorf("reserve ids: counter %s kept changing", key)
}

func parseCounter(raw []byte) (uint64, error) {
	if len(raw) == 0 {
		return 0, nil
	}
	n, err := strconv.ParseUint(string(raw), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("id counter %q: %w", raw, err)
	}
	return n, nil
}
