package etcdkv

import (
	"fmt"

	"nudges/store/kv"
)

// bucket is a key range of one transaction: keys are base + the key.
type bucket struct {
	tx   *tx
	name []byte
	base string
}

var _ kv.Bucket = (*bucket)(nil)

// Get implements kv.Bucket: the transaction's own write, else the value at
// its revision.
func (b *bucket) Get(key []byte) []byte {
	full := b.base + string(key)
	if v, ok := b.tx.writes[full]; ok {
		if v == nil {
			return nil
		}
		return *v
	}
	kvp, ok := b.tx.get(full)
	if !ok || kvp == nil {
		return nil
	}
	if kvp.Value == nil {
		return []byte{}
	}
	return kvp.Value
}

// Put implements kv.Bucket.
func (b *bucket) Put(key, value []byte) error {
	if err := b.writeCheck(key); err != nil {
		return err
	}
	if value == nil {
		value = []byte{}
	}
	b.tx.write(b.base+string(key), value)
	return nil
}

// Delete implements kv.Bucket.
func (b *bucket) Delete(key []byte) error {
	if err := b.writeCheck(key); err != nil {
		return err
	}
	b.tx.write(b.base+string(key), nil)
	return nil
}

func (b *bucket) writeCheck(key []byte) error {
	switch {
	case !b.tx.writable:
		return kv.ErrTxNotWritable
	case len(key) == 0:
		return kv.ErrKeyRequired
	case b.tx.err != nil:
		return b.tx.err
	}
	return nil
}

// Cursor implements kv.Bucket.
func (b *bucket) Cursor() kv.Cursor { return &cursor{b: b, limit: firstPage} }

// PrefixCursor implements kv.PrefixCursorer: the cursor sees only the keys
// that start with prefix, and its pages read no key past them, so the
// commit's conflict check covers the prefix alone (a cursor that Seeks a
// phone's rows would otherwise read, and conflict with, the next phone's).
func (b *bucket) PrefixCursor(prefix []byte) kv.Cursor {
	return &cursor{b: b, limit: firstPage, within: string(prefix)}
}

// ForEach implements kv.Bucket.
func (b *bucket) ForEach(fn func(k, v []byte) error) error {
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return b.tx.err
}

// NextSequence implements kv.Bucket from this process's reserved block.
func (b *bucket) NextSequence() (uint64, error) {
	if !b.tx.writable {
		return 0, kv.ErrTxNotWritable
	}
	id, err := b.tx.db.nextID(b.name)
	if err != nil {
		return 0, fmt.Errorf("next id of %s: %w", b.name, err)
	}
	return id, nil
}

// Sequence implements kv.Bucket: the highest id reserved by any process.
func (b *bucket) Sequence() uint64 {
	key := b.tx.db.lay.counter(b.name)
	var raw []byte
	if v, ok := b.tx.writes[key]; ok && v != nil {
		raw = *v
	} else if kvp, ok := b.tx.get(key); ok && kvp != nil {
		raw = kvp.Value
	}
	n, err := parseCounter(raw)
	if err != nil {
		b.tx.fail(err)
	}
	return n
}

// SetSequence implements kv.Bucket. Meant for filling a new store: ids
// already reserved by running processes are not taken back.
func (b *bucket) SetSequence(v uint64) error {
	if !b.tx.writable {
		return kv.ErrTxNotWritable
	}
	b.tx.write(b.tx.db.lay.counter(b.name), fmt.Appendf(nil, "%d", v))
	return nil
}

// SetFillPercent implements kv.Bucket; etcd has no such knob.
func (b *bucket) SetFillPercent(float64) {}
