package store

import (
	"bytes"
	"encoding/json"
	"fmt"

	"nudges/store/kv"
)

// migrations are run in order at start-up; migrations[i].To is i+1 and the
// last one's To is SchemaVersion. Each Step changes at most migrationBatch
// keys, so no write transaction grows with the file.
var migrations = []Migration{
	{To: 1, What: "record the schema version in a file from before versions were kept",
		Step: func(*Tx, []byte) ([]byte, error) { return nil, nil }},
	{To: 2, What: "queue keys carry their due time (priority, due, id)", Step: queueKeysStep},
	{To: 3, What: "index retry guards by the time they were written", Step: expiryIndexStep},
	{To: 4, What: "count each list's phones by number prefix (the send window's CONFIRM split)", Step: listGroupsStep},
	{To: 5, What: "split each list group's count over shard keys (a list's size is their sum, no longer kept on its client)", Step: shardGroupsStep},
	{To: 6, What: "queue rows move into lanes by sender, priority and announcement (fair sending)", Step: queueLanesStep},
	{To: 7, What: "index announcements by client (the API's and dashboard's lists)", Step: clientAnnsStep},
}

// keyExpiryV1 marks a file whose expiry index an earlier binary built.
var keyExpiryV1 = []byte("expiry_v1")

// seekAfter positions c at the first key after cursor (the first key when
// cursor is nil).
func seekAfter(c kv.Cursor, cursor []byte) ([]byte, []byte) {
	if cursor == nil {
		return c.First()
	}
	k, v := c.Seek(cursor)
	if bytes.Equal(k, cursor) {
		k, v = c.Next()
	}
	return k, v
}

// queueKeysStep rewrites the queue keys of the earlier priority-then-id
// form (value: due time) as priority, due, id, reading up to migrationBatch
// keys after cursor.
func queueKeysStep(tx *Tx, cursor []byte) ([]byte, error) {
	q := tx.b(bQueue)
	var old [][2][]byte
	var last []byte
	c := q.Cursor()
	k, v := seekAfter(c, cursor)
	for n := 0; k != nil && n < tx.fit(migrationBatch, 3); n++ {
		if len(k) == 9 && len(v) == 8 {
			old = append(old, [2][]byte{bytes.Clone(k), bytes.Clone(v)})
		}
		last = bytes.Clone(k)
		k, v = c.Next()
	}
	more := k != nil
	for _, kv := range old {
		nk := make([]byte, 17)
		nk[0] = kv[0][0]
		copy(nk[1:9], kv[1])
		copy(nk[9:], kv[0][1:])
		if err := q.Delete(kv[0]); err != nil {
			return nil, err
		}
		if err := q.Put(nk, nil); err != nil {
			return nil, err
		}
	}
	if !more {
		return nil, nil
	}
	return last, nil
}

// expiryIndexStep indexes up to migrationBatch retry guards written before
// the expiry index existed. The cursor is the kind, then the last key done.
func expiryIndexStep(tx *Tx, cursor []byte) ([]byte, error) {
	if tx.b(bMeta).Get(keyExpiryV1) != nil {
		return nil, nil // an earlier binary built it at its start-up
	}
	kind, after := expInbound, []byte(nil)
	if len(cursor) > 0 {
		kind = cursor[0]
		if len(cursor) > 1 {
			after = cursor[1:]
		}
	}
	budget := migrationBatch
	for ; kind <= expEarly; kind, after = kind+1, nil {
		name := expiryBuckets[kind]
		c := tx.b(name).Cursor()
		for k, v := seekAfter(c, after); k != nil; k, v = c.Next() {
			if budget == 0 {
				return append([]byte{kind}, after...), nil
			}
			at, err := writtenAt(kind, v)
			if err != nil {
				return nil, fmt.Errorf("index %s %q: %w", name, k, err)
			}
			if err := tx.expires(kind, at, string(k)); err != nil {
				return nil, err
			}
			after, budget = bytes.Clone(k), budget-1
		}
	}
	return nil, nil
}

// queueLanesStep moves up to migrationBatch queue keys of the (priority,
// due, id) form into their row's lane, indexing the lane; a key whose row
// is gone or no longer queued is dropped. Keys already in lanes are passed
// over (they sort among the old ones).
func queueLanesStep(tx *Tx, cursor []byte) ([]byte, error) {
	q := tx.b(bQueue)
	var old [][]byte
	var last []byte
	c := q.Cursor()
	k, _ := seekAfter(c, cursor)
	for n := 0; k != nil && n < tx.fit(migrationBatch, 8); n++ {
		if len(k) == 17 {
			old = append(old, bytes.Clone(k))
		}
		last = bytes.Clone(k)
		k, _ = c.Next()
	}
	more := k != nil
	seen := laneNotes{}
	for _, k := range old {
		if err := q.Delete(k); err != nil {
			return nil, err
		}
		if err := requeue(tx, btoi(k[9:]), seen); err != nil {
			return nil, err
		}
	}
	if !more {
		return nil, nil
	}
	return last, nil
}

// requeue puts row id's queue key in its lane if the row is still queued.
func requeue(tx *Tx, id uint64, seen laneNotes) error {
	row := tx.b(bOutbox).Get(itob(id))
	if row == nil {
		return nil
	}
	var r struct {
		queued
		Status string `json:"status"`
	}
	if err := json.Unmarshal(row, &r); err != nil {
		return fmt.Errorf("decode message %d: %w", id, err)
	}
	if r.Status != "queued" {
		return nil
	}
	return tx.enqueueRow(r.queued, id, seen)
}
