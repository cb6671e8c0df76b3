package store

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"nudges/bot"
	"nudges/store/kv"
)

// groupCommit gathers concurrent WriteBatch calls into shared transactions:
// every call that arrives while a commit is running joins the next one. The
// batch grows with the load and a lone caller never waits for a timer,
// unlike bbolt's Batch, which closes a batch MaxBatchDelay after its first
// call whether or not the writer is free. Bulk calls (BulkBatch: fan-out
// chunks) wait in a lane of their own and commit apart, after the
// interactive calls waiting, and at the latest bulkMaxWait after they
// arrived (wait).
type groupCommit struct {
	mu        sync.Mutex
	pending   []*batchCall
	bulk      []*batchCall
	bulkSince time.Time // when the oldest waiting bulk call arrived
	running   bool
	queued    atomic.Int64  // len(pending), read without the lock (Tx.Waiting)
	wait      time.Duration // bulkMaxWait; tests change it
}

// bulkMaxWait is the longest a bulk call waits for the writer while
// interactive calls keep arriving: under a steady stream of inbound turns
// a fan-out gets the writer for a chunk (which ends early, once it did a
// tenth of its budget, when turns wait) at least this often.
const bulkMaxWait = 10 * time.Millisecond

type batchCall struct {
	fn   func(*Tx) error
	done chan error
}

// errMember aborts a shared transaction when one of its calls fails.
var errMember = errors.New("a call in the batch failed")

// WriteBatch is Write grouped with concurrent callers: fn may run more than
// once (when another call of its batch fails), so it must have no effect
// outside tx. Its error is fn's own, or the commit's. On etcd it is Write:
// a shared transaction would only conflict more and hit the size limits.
func (db *DB) WriteBatch(fn func(tx *Tx) error) error { return db.writeBatch(fn, false) }

// BulkBatch implements bot.BulkBatcher: WriteBatch for bulk work, which
// commits after the interactive calls waiting (see groupCommit).
func (db *DB) BulkBatch(fn func(tx bot.Tx) error) error {
	return db.writeBatch(func(tx *Tx) error { return fn(tx) }, true)
}

func (db *DB) writeBatch(fn func(tx *Tx) error, bulk bool) error {
	if !db.grouped {
		return db.update(func(tx *Tx) error { return safeCall(fn, tx) })
	}
	c := &batchCall{fn: fn, done: make(chan error, 1)}
	g := &db.group
	g.mu.Lock()
	if bulk {
		if len(g.bulk) == 0 {
			g.bulkSince = time.Now()
		}
		g.bulk = append(g.bulk, c)
	} else {
		g.pending = append(g.pending, c)
		g.queued.Store(int64(len(g.pending)))
	}
	start := !g.running
	g.running = true
	g.mu.Unlock()
	if start {
		go db.commitLoop()
	}
	return <-c.done
}

// commitLoop commits pending calls until none are left: the interactive
// ones waiting, or the bulk ones when none are or they waited bulkMaxWait.
func (db *DB) commitLoop() {
	g := &db.group
	for {
		g.mu.Lock()
		var batch []*batchCall
		if len(g.bulk) > 0 && (len(g.pending) == 0 || time.Since(g.bulkSince) >= g.wait) {
			batch, g.bulk = g.bulk, nil
		} else {
			batch, g.pending = g.pending, nil
			g.queued.Store(0)
		}
		if len(batch) == 0 {
			g.running = false
			g.mu.Unlock()
			return
		}
		g.mu.Unlock()
		db.commitBatch(batch)
	}
}

// commitBatch runs batch in one transaction. A call that fails is taken out
// and run alone, so it gets its own error and rolls back only its own
// changes; the rest are tried again together.
func (db *DB) commitBatch(batch []*batchCall) {
	for len(batch) > 0 {
		failed := -1
		err := db.update(func(tx *Tx) error {
			tx.peers = len(batch) - 1
			for i, c := range batch {
				if err := safeCall(c.fn, tx); err != nil {
					failed = i
					return errMember
				}
			}
			return nil
		})
		if failed < 0 {
			for _, c := range batch {
				c.done <- err
			}
			return
		}
		solo := batch[failed]
		solo.done <- db.Write(func(tx *Tx) error { return safeCall(solo.fn, tx) })
		batch = append(batch[:failed:failed], batch[failed+1:]...)
	}
}

// safeCall runs fn, turning a panic into an error: one bad call must not
// take down the goroutine that commits everyone else's.
func safeCall(fn func(*Tx) error, tx *Tx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic in transaction: %v", r)
		}
	}()
	return fn(tx)
}

// update runs fn in a read-write transaction and remembers whether the
// commit itself (not fn) failed, for Ping.
func (db *DB) update(fn func(*Tx) error) error {
	if db.writers != nil {
		db.writers <- struct{}{}
		defer func() { <-db.writers }()
	}
	var fnErr error
	var changed time.Time
	runs := 0
	err := db.kv.Update(func(ktx kv.Tx) error {
		runs++
		fnErr = fn(&Tx{tx: ktx, limit: db.maxOps, group: db.groupOf(), clients: &db.clients})
		changed = time.Now()
		return fnErr
	})
	if runs > 1 {
		bot.Observe(db.observer).Retried(runs - 1)
	}
	switch {
	case err == nil:
		db.commitErr.Store(nil)
		bot.Observe(db.observer).Commit(time.Since(changed))
	case errors.Is(err, kv.ErrTxTooLarge):
		return fmt.Errorf("%w: %w", bot.ErrTxTooLarge, err)
	case fnErr == nil && !errors.Is(err, kv.ErrFenced) && !errors.Is(err, kv.ErrConflict):
		db.commitErr.Store(&err)
	}
	return err
}

// groupOf is the group commit whose callers wait for this process's
// writer (bbolt), nil on etcd (writers do not wait for each other there).
func (db *DB) groupOf() *groupCommit {
	if !db.grouped {
		return nil
	}
	return &db.group
}

var _ bot.Contender = (*Tx)(nil)

// Waiting implements bot.Contender: other calls share this transaction's
// commit (a batch), or are queued for the next one, and wait for it.
func (t *Tx) Waiting() bool {
	return t.peers > 0 || t.group != nil && t.group.queued.Load() > 0
}

// SetObserver makes o hear every commit's duration and every conflict
// retry (metrics). Call it before
// the database is shared.
func (db *DB) SetObserver(o bot.Observer) { db.observer = o }

// commitFailure is the error of the last commit if it failed (disk full,
// read-only file system, I/O error), nil once a commit succeeds again.
func (db *DB) commitFailure() error {
	if p := db.commitErr.Load(); p != nil {
		return *p
	}
	return nil
}
