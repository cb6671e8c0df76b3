package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"
)

// bExpiry indexes the records kept only as retry guards by the time they
// were written (kind, unix ns, key → nothing), so that pruning reads only
// the entries past their retention: no bucket is scanned in a write
// transaction.
var bExpiry = []byte("expiry")

// Kinds of expiring records, each in its own bucket.
const (
	expInbound byte = 1 // bInbound: remembered inbound replies
	expEvent   byte = 2 // bStripeEvents: applied Stripe event ids
	expEarly   byte = 3 // bEarlyStatus: callbacks for sids not recorded yet
)

var expiryBuckets = map[byte][]byte{expInbound: bInbound, expEvent: bStripeEvents, expEarly: bEarlyStatus, expAnswer: bAnswers}

func expiryKey(kind byte, at time.Time, key string) []byte {
	k := make([]byte, 9, 9+len(key))
	k[0] = kind
	binary.BigEndian.PutUint64(k[1:], dueNanos(at))
	return append(k, key...)
}

// expires indexes key of kind as written at at.
func (t *Tx) expires(kind byte, at time.Time, key string) error {
	return t.b(bExpiry).Put(expiryKey(kind, at, key), nil)
}

// pruneKind deletes up to pruneChunk records of kind written before cutoff,
// with their index entries, and reports how many records went.
func (t *Tx) pruneKind(kind byte, cutoff time.Time) (int, error) {
	data := t.b(expiryBuckets[kind])
	end := expiryKey(kind, cutoff, "")
	var old [][]byte
	cur := t.b(bExpiry).Cursor()
	chunk := t.fit(pruneChunk, 4)
	for k, _ := cur.Seek([]byte{kind}); k != nil && k[0] == kind && len(old) < chunk; k, _ = cur.Next() {
		if string(k[:9]) >= string(end) {
			break
		}
		old = append(old, append([]byte(nil), k...))
	}
	n := 0
	for _, k := range old {
		if data.Get(k[9:]) != nil {
			n++
		}
		if err := data.Delete(k[9:]); err != nil {
			return 0, fmt.Errorf("prune %s %q: %w", expiryBuckets[kind], k[9:], err)
		}
		if err := t.b(bExpiry).Delete(k); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// pruneAll runs pruneKind in transactions of its own until none is left.
func (db *DB) pruneAll(kind byte, cutoff time.Time) (int, error) {
	total := 0
	for {
		var n int
		err := db.Write(func(tx *Tx) error {
			var err error
			n, err = tx.pruneKind(kind, cutoff)
			return err
		})
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
}

// writtenAt is when a record of kind was written.
func writtenAt(kind byte, v []byte) (time.Time, error) {
	if kind == expEvent {
		if len(v) != 8 {
			return time.Time{}, nil
		}
		return time.Unix(0, int64(btoi(v))), nil
	}
	var r struct {
		At time.Time `json:"at"`
	}
	err := json.Unmarshal(v, &r)
	return r.At, err
}
