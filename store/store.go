// Package store keeps all of Nudges' state in a key-value store (one bbolt
// file, or etcd: see package store/kv): buckets, keys and the repositories
// that implement bot.Tx.
package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"

	berrors "go.etcd.io/bbolt/errors"

	"nudges/bot"
	"nudges/store/kv"
	"nudges/store/kv/boltkv"
)

// Bucket names. Keys are E.164 phones, upper-case keywords, or big-endian
// sequence ids.
var (
	bConversations = []byte("conversations") // phone → Conversation
	bClients       = []byte("clients")       // phone → Client
	bKeywords      = []byte("keywords")      // KEYWORD → phone
	bPayTokens     = []byte("pay_tokens")    // token → phone
	bStripeSubs    = []byte("stripe_subs")   // Stripe subscription id → phone
	bNumbers       = []byte("numbers")       // a client's own number → client phone
	bSubs          = []byte("subs")          // KEYWORD \0 phone → Subscription
	bPhoneSubs     = []byte("phone_subs")    // phone \0 KEYWORD → nothing
	bPlans         = []byte("plans")         // id → Plan
	bOutbox        = []byte("outbox")        // id → OutMessage
	bQueue         = []byte("queue")         // lane, due (unix ns), id → nothing: see queue.go
	bLanes         = []byte("lanes")         // lane → ready, or waiting and its due time
	bReady         = []byte("ready")         // sender, priority, turn, announcement → nothing
	bWaiting       = []byte("waiting")       // due (unix ns), lane → nothing
	bSIDs          = []byte("sids")          // provider sid → outbox id
	bAnnouncements = []byte("announcements") // id → Announcement
	bFanning       = []byte("fanning")       // id of an announcement still fanning out → nothing
	bInbound       = []byte("inbound")       // provider sid → inboundRecord
	bLog           = []byte("log")           // phone \0 seq → LogEntry
	bStripeEvents  = []byte("stripe_events") // event id → applied at
	bAuth          = []byte("auth")          // console login state, see auth.go
	bInflight      = []byte("inflight")      // outbox ids claimed, not yet recorded: marked unknown at start
	bMeta          = []byte("meta")
	bScheduled     = []byte("scheduled")     // id → Scheduled
	bScheduledDue  = []byte("scheduled_due") // due time (unix ns), id → client phone
	bHandles       = []byte("handles")       // client \0 phone → #n (big-endian)
	bHandlePhones  = []byte("handle_phones") // client \0 #n → phone
	bPhoneHandles  = []byte("phone_handles") // phone \0 client → #n: what an erase forgets
	bForwards      = []byte("forwards")      // client \0 time, seq → nothing: texts forwarded (last hour)
)

var allBuckets = [][]byte{
	bConversations, bClients, bKeywords, bPayTokens, bStripeSubs, bSubs, bPhoneSubs,
	bPlans, bOutbox, bQueue, bSIDs, bAnnouncements, bInbound, bLog, bStripeEvents,
	bAuth, bInflight, bEarlyStatus, bFanning, bDone, bSIDGuards, bExpiry, bMeta, bLinks, bClickSeen, bMedia, bMediaData,
	bScheduled, bScheduledDue, bHandles, bHandlePhones, bPhoneHandles, bForwards,
	bConsent, bConsentKw, bSuppress, bExports, bListGroups, bNumbers, bLanes, bReady, bWaiting,
	bDiscounts, bAPIKeys, bAPIKeyHash, bAnswers, bHooks, bHookIDs, bHookRows, bHookDue,
	bClientAnns, bThreads, bThreadsRecent, bAnnReplies,
	bPaidCancels, bPaidCounts, bPaidEnds,
}

// DB is the open database.
type DB struct {
	kv        kv.DB
	path      string
	group     groupCommit
	grouped   bool                  // WriteBatch shares transactions (bbolt: one writer, fsync per commit)
	maxOps    int                   // keys one write transaction may touch, 0: no limit
	writers   chan struct{}         // on etcd: write transactions run at once by this process
	commitErr atomic.Pointer[error] // the last commit's failure, nil after a success
	observer  bot.Observer          // hears commit times; nil is none
	clients   clientCache           // decoded client records, by their bytes
}

var _ bot.Store = (*DB)(nil)

// ErrLocked is returned by Open when another process holds the file.
var ErrLocked = boltkv.ErrLocked

// Open opens (creating if needed) the bbolt database at path and its
// buckets, refuses a file from a newer binary (ErrNewerSchema) and brings an
// older one up to SchemaVersion. It gives up after a second if another
// process holds the file.
func Open(path string) (*DB, error) {
	k, err := boltkv.Open(path)
	if errors.Is(err, ErrLocked) {
		return nil, fmt.Errorf("%w (stop it, or set NUDGES_DB to another file)", err)
	}
	if notBolt(err) {
		return nil, fmt.Errorf("NUDGES_DB %s is not a Nudges database (%v): point NUDGES_DB at the right file, or move this one away to start a new one", path, err)
	}
	if err != nil {
		return nil, err
	}
	db, err := openKV(k, path)
	if err != nil {
		k.Close()
		return nil, err
	}
	return db, nil
}

// etcdWriters is how many write transactions one process runs on etcd at
// once. Turns touching a shared key (before schema 5, a list's subscriber
// count) conflict and run again; with many at once the retries pile up
// (measured at 32 phones on one member: 393 turns/s, p99 1 s unbounded;
// 488/s, p99 155 ms with 1; 603/s, p99 134 ms with 4). Since schema 5 the
// counts are sharded and conflicts rare; with commits sharing requests
// (etcdkv's group commit), 16 did 816–856 turns/s on three members against
// 769–802 without sharing and 584–655 with 4 (docs/benchmarks.md, round three).
const etcdWriters = 16

// limited is an engine that bounds the keys of one write transaction.
type limited interface{ MaxTxnOps() int }

// OpenKV serves the store on an open kv.DB (bbolt or etcd) as Open does a
// file: it creates the buckets and checks and migrates the schema. Close
// closes k.
func OpenKV(k kv.DB) (*DB, error) { return openKV(k, "the store") }

func openKV(k kv.DB, name string) (*DB, error) {
	_, bolt := k.(*boltkv.DB)
	db := &DB{kv: k, grouped: bolt}
	db.group.wait = bulkMaxWait
	if bolt {
		db.path = name
	} else {
		db.writers = make(chan struct{}, etcdWriters)
	}
	if l, ok := k.(limited); ok {
		db.maxOps = l.MaxTxnOps()
	}
	version, fresh, err := checkSchema(k, name)
	if err != nil {
		return nil, err
	}
	err = k.Update(func(tx kv.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return fmt.Errorf("create bucket %s: %w", b, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := db.migrate(version, fresh, migrations); err != nil {
		return nil, err
	}
	return db, nil
}

// notBolt reports whether err says the file is not a bbolt database: too
// short to hold its meta pages, or meta pages that do not check out.
func notBolt(err error) bool {
	return err != nil && (errors.Is(err, berrors.ErrInvalid) || errors.Is(err, berrors.ErrVersionMismatch) ||
		errors.Is(err, berrors.ErrChecksum) || strings.Contains(err.Error(), "file size too small"))
}

// Close closes the store.
func (db *DB) Close() error { return db.kv.Close() }

// KV is the engine the store runs on.
func (db *DB) KV() kv.DB { return db.kv }

// Path is the bbolt file's path ("" on etcd).
func (db *DB) Path() string { return db.path }

// Ping checks the database can run a read transaction (on etcd: that the
// cluster has a quorum) and that the last commit did not fail (a full disk
// still reads fine).
func (db *DB) Ping() error {
	if err := db.commitFailure(); err != nil {
		return fmt.Errorf("last commit failed: %w", err)
	}
	if err := db.kv.Ping(); err != nil {
		return err
	}
	return db.kv.View(func(tx kv.Tx) error {
		if tx.Bucket(bMeta) == nil {
			return errors.New("meta bucket missing")
		}
		return nil
	})
}

// Backup writes a consistent snapshot of the whole store to w while the
// service keeps running (on etcd: a snapshot of the member's database).
func (db *DB) Backup(w io.Writer) (int64, error) { return db.kv.Backup(w) }

// Read runs fn in a read-only transaction.
func (db *DB) Read(fn func(tx *Tx) error) error {
	return db.kv.View(func(ktx kv.Tx) error { return fn(&Tx{tx: ktx, limit: db.maxOps, clients: &db.clients}) })
}

// Write runs fn in a read-write transaction, committed if fn returns nil.
func (db *DB) Write(fn func(tx *Tx) error) error { return db.update(fn) }

// View implements bot.Store.
func (db *DB) View(fn func(tx bot.Tx) error) error {
	return db.Read(func(tx *Tx) error { return fn(tx) })
}

// Update implements bot.Store.
func (db *DB) Update(fn func(tx bot.Tx) error) error {
	return db.Write(func(tx *Tx) error { return fn(tx) })
}

// Batch implements bot.Store.
func (db *DB) Batch(fn func(tx bot.Tx) error) error {
	return db.WriteBatch(func(tx *Tx) error { return fn(tx) })
}

// Fenced is the store as one leader's term sees it: its write
// transactions commit only while fence holds, and fail with kv.ErrFenced
// once another process leads. A zero fence (bbolt) is db itself.
func (db *DB) Fenced(fence kv.Fence) bot.Store {
	if fence.Rev == 0 {
		return db
	}
	return fenced{db: db, fence: fence}
}

type fenced struct {
	db    *DB
	fence kv.Fence
}

func (f fenced) View(fn func(tx bot.Tx) error) error  { return f.db.View(fn) }
func (f fenced) Batch(fn func(tx bot.Tx) error) error { return f.Update(fn) }
func (f fenced) TxLimit() int                         { return f.db.maxOps }
func (f fenced) Update(fn func(tx bot.Tx) error) error {
	return f.db.update(func(tx *Tx) error {
		tx.tx.Fence(f.fence)
		return fn(tx)
	})
}

// TxLimit implements bot.Store.
func (db *DB) TxLimit() int { return db.maxOps }

// Tx is one transaction; it implements bot.Tx and the console's extras.
type Tx struct {
	tx      kv.Tx
	limit   int          // keys one write transaction may touch, 0: no limit
	turn    bot.Phone    // the phone whose inbound turn this is (etcd prefetch)
	group   *groupCommit // the writers waiting for this one (bbolt), nil on etcd
	peers   int          // other calls sharing this transaction (group commit)
	clients *clientCache // nil: decode every read
}

var _ bot.Tx = (*Tx)(nil)

func (t *Tx) b(name []byte) kv.Bucket { return t.tx.Bucket(name) }

// prefixCursor walks the keys of bucket name that start with prefix (a
// phone's rows): on etcd it reads no key past them, so a turn does not
// conflict with another phone's writes next to its own. On bbolt it is a
// plain cursor: callers stop at the prefix's end themselves.
func (t *Tx) prefixCursor(name, prefix []byte) kv.Cursor {
	b := t.b(name)
	if p, ok := b.(kv.PrefixCursorer); ok {
		return p.PrefixCursor(prefix)
	}
	return b.Cursor()
}

// fit is n, or fewer when touching per keys for each of n items would pass
// the engine's transaction limit.
func (t *Tx) fit(n, per int) int {
	if t.limit <= 0 || n*per <= t.limit {
		return n
	}
	return max(1, t.limit/per)
}

// getJSON decodes the value at key into v; false if there is none.
func (t *Tx) getJSON(bucket, key []byte, v any) (bool, error) {
	data := t.b(bucket).Get(key)
	if data == nil {
		return false, nil
	}
	if err := json.Unmarshal(data, v); err != nil {
		return false, fmt.Errorf("decode %s/%q: %w", bucket, key, err)
	}
	return true, nil
}

func (t *Tx) putJSON(bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", bucket, err)
	}
	return t.b(bucket).Put(key, data)
}

// nextID returns the bucket's next sequence number.
func (t *Tx) nextID(bucket []byte) (uint64, error) {
	return t.b(bucket).NextSequence()
}

func itob(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

func btoi(b []byte) uint64 { return binary.BigEndian.Uint64(b) }

// pair joins two key parts with a NUL, which neither phones nor keywords hold.
func pair(a, b string) []byte {
	k := make([]byte, 0, len(a)+1+len(b))
	k = append(k, a...)
	k = append(k, 0)
	return append(k, b...)
}
