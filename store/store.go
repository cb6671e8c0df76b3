// Package store keeps all of Nudges' state in one bbolt file: buckets, keys
// and the repositories that implement bot.Tx.
package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"nudges/bot"
)

// Bucket names. Keys are E.164 phones, upper-case keywords, or big-endian
// sequence ids.
var (
	bConversations = []byte("conversations") // phone → Conversation
	bClients       = []byte("clients")       // phone → Client
	bKeywords      = []byte("keywords")      // KEYWORD → phone
	bPayTokens     = []byte("pay_tokens")    // token → phone
	bStripeSubs    = []byte("stripe_subs")   // Stripe subscription id → phone
	bSubs          = []byte("subs")          // KEYWORD \0 phone → Subscription
	bPhoneSubs     = []byte("phone_subs")    // phone \0 KEYWORD → nothing
	bPlans         = []byte("plans")         // id → Plan
	bOutbox        = []byte("outbox")        // id → OutMessage
	bQueue         = []byte("queue")         // priority, due (unix ns), id → nothing
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
	bConsent, bConsentKw, bSuppress, bExports, bListGroups,
}

// DB is the open database.
type DB struct {
	bolt      *bolt.DB
	path      string
	group     groupCommit
	commitErr atomic.Pointer[error] // the last commit's failure, nil after a success
	observer  bot.Observer          // hears commit times; nil is none
}

var _ bot.Store = (*DB)(nil)

// ErrLocked is returned by Open when another process holds the file.
var ErrLocked = errors.New("database is locked by another running instance")

// Open opens (creating if needed) the database at path and its buckets,
// refuses a file from a newer binary (ErrNewerSchema) and brings an older
// one up to SchemaVersion. It gives up after a second if another process
// holds the file.
func Open(path string) (*DB, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create database directory: %w", err)
		}
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("%s: %w (stop it, or set NUDGES_DB to another file)", path, ErrLocked)
	}
	if notBolt(err) {
		return nil, fmt.Errorf("NUDGES_DB %s is not a Nudges database (%v): point NUDGES_DB at the right file, or move this one away to start a new one", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	version, fresh, err := checkSchema(db, path)
	if err != nil {
		db.Close()
		return nil, err
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return fmt.Errorf("create bucket %s: %w", b, err)
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	d := &DB{bolt: db, path: path}
	if err := d.migrate(version, fresh, migrations); err != nil {
		db.Close()
		return nil, err
	}
	return d, nil
}

// notBolt reports whether err says the file is not a bbolt database: too
// short to hold its meta pages, or meta pages that do not check out.
func notBolt(err error) bool {
	return err != nil && (errors.Is(err, berrors.ErrInvalid) || errors.Is(err, berrors.ErrVersionMismatch) ||
		errors.Is(err, berrors.ErrChecksum) || strings.Contains(err.Error(), "file size too small"))
}

// Close closes the file.
func (db *DB) Close() error { return db.bolt.Close() }

// Path is the file's path.
func (db *DB) Path() string { return db.path }

// Ping checks the database can run a read transaction and that the last
// commit did not fail (a full disk still reads fine).
func (db *DB) Ping() error {
	if err := db.commitFailure(); err != nil {
		return fmt.Errorf("last commit failed: %w", err)
	}
	return db.bolt.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bMeta) == nil {
			return errors.New("meta bucket missing")
		}
		return nil
	})
}

// Backup writes a consistent snapshot of the whole file to w while the
// service keeps running.
func (db *DB) Backup(w io.Writer) (int64, error) {
	var n int64
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	return n, err
}

// Read runs fn in a read-only transaction.
func (db *DB) Read(fn func(tx *Tx) error) error {
	return db.bolt.View(func(btx *bolt.Tx) error { return fn(&Tx{tx: btx}) })
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

// Tx is one transaction; it implements bot.Tx and the console's extras.
type Tx struct {
	tx *bolt.Tx
}

var _ bot.Tx = (*Tx)(nil)

func (t *Tx) b(name []byte) *bolt.Bucket { return t.tx.Bucket(name) }

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
