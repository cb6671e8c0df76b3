package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"nudges/bot"
	"nudges/store/kv"
)

// queueKey orders the queue by priority, then due time, then id (oldest
// first), so that the due messages are a prefix of each priority's range.
// A message due at once is keyed by when it was queued (queuedKey): ids
// grow per process, not across processes sharing an etcd store, so time,
// not id, keeps messages to one phone in the order they were queued.
func queueKey(p bot.Priority, due time.Time, id uint64) []byte {
	k := make([]byte, 17)
	k[0] = byte(p)
	binary.BigEndian.PutUint64(k[1:], dueNanos(due))
	binary.BigEndian.PutUint64(k[9:], id)
	return k
}

// queuedKey is m's queue key: due at NextAt, else when it was created.
func queuedKey(p bot.Priority, nextAt, createdAt time.Time, id uint64) []byte {
	if nextAt.IsZero() {
		nextAt = createdAt
	}
	return queueKey(p, nextAt, id)
}

// dueNanos is due as unsigned nanoseconds; a zero time is due at once.
func dueNanos(due time.Time) uint64 {
	if ns := due.UnixNano(); !due.IsZero() && ns > 0 {
		return uint64(ns)
	}
	return 0
}

// indexed is what the indexes of an outbox row depend on.
type indexed struct {
	Priority  bot.Priority      `json:"priority"`
	Status    bot.MessageStatus `json:"status"`
	NextAt    time.Time         `json:"next_at,omitzero"`
	CreatedAt time.Time         `json:"created_at"`
}

// PutOutMessage implements bot.Sends.
func (t *Tx) PutOutMessage(m *bot.OutMessage) error {
	queue, inflight := t.b(bQueue), t.b(bInflight)
	if old := t.b(bOutbox).Get(itob(m.ID)); old != nil {
		var o indexed
		if err := json.Unmarshal(old, &o); err != nil {
			return fmt.Errorf("decode message %d: %w", m.ID, err)
		}
		if o.Status == bot.StatusQueued {
			if err := queue.Delete(queuedKey(o.Priority, o.NextAt, o.CreatedAt, m.ID)); err != nil {
				return err
			}
			if o.NextAt.IsZero() && !o.CreatedAt.IsZero() { // keyed due 0 by an older version
				if err := queue.Delete(queueKey(o.Priority, time.Time{}, m.ID)); err != nil {
					return err
				}
			}
		}
	}
	if err := t.putJSON(bOutbox, itob(m.ID), m); err != nil {
		return err
	}
	if m.Status == bot.StatusQueued {
		if err := queue.Put(queuedKey(m.Priority, m.NextAt, m.CreatedAt, m.ID), nil); err != nil {
			return err
		}
	}
	if err := setMember(inflight, itob(m.ID), m.Status == bot.StatusSending); err != nil {
		return err
	}
	if m.SID != "" {
		return t.b(bSIDs).Put([]byte(m.SID), itob(m.ID))
	}
	return nil
}

func setMember(b kv.Bucket, k []byte, in bool) error {
	if in {
		return b.Put(k, nil)
	}
	return b.Delete(k)
}

// Due implements bot.Sends: each priority's due messages are the start of
// its range, so nothing past them is read.
func (t *Tx) Due(now time.Time, n int) ([]uint64, time.Time, error) {
	var ids []uint64
	var next time.Time
	limit := dueNanos(now)
	cur := t.b(bQueue).Cursor()
	for k, _ := cur.First(); k != nil; {
		if len(k) != 17 {
			return nil, time.Time{}, fmt.Errorf("queue key %x is not priority, due, id", k)
		}
		if due := binary.BigEndian.Uint64(k[1:9]); due > limit {
			at := time.Unix(0, int64(due)).UTC()
			if next.IsZero() || at.Before(next) {
				next = at
			}
			if k[0] == 0xff {
				break
			}
			k, _ = cur.Seek([]byte{k[0] + 1})
			continue
		}
		if len(ids) == n {
			return ids, now, nil
		}
		ids = append(ids, binary.BigEndian.Uint64(k[9:]))
		k, _ = cur.Next()
	}
	return ids, next, nil
}

// Inflight implements bot.Sends.
func (t *Tx) Inflight() ([]uint64, error) {
	var ids []uint64
	err := t.b(bInflight).ForEach(func(k, _ []byte) error {
		ids = append(ids, btoi(k))
		return nil
	})
	return ids, err
}

// MessageBySID implements bot.Sends.
func (t *Tx) MessageBySID(sid string) (*bot.OutMessage, error) {
	id := t.b(bSIDs).Get([]byte(sid))
	if id == nil {
		return nil, nil
	}
	return t.OutMessage(btoi(id))
}
