package store

import (
	"encoding/json"
	"fmt"

	"nudges/bot"
	"nudges/store/kv"
)

// PutOutMessage implements bot.Sends: the row's queue key follows its
// status and due time; its lane is made known when it is queued.
func (t *Tx) PutOutMessage(m *bot.OutMessage) error {
	inflight := t.b(bInflight)
	was := bot.MessageStatus("")
	if old := t.b(bOutbox).Get(itob(m.ID)); old != nil {
		var o struct {
			queued
			Status bot.MessageStatus `json:"status"`
		}
		if err := json.Unmarshal(old, &o); err != nil {
			return fmt.Errorf("decode message %d: %w", m.ID, err)
		}
		was = o.Status
		if o.Status == bot.StatusQueued {
			if err := t.unqueue(o.queued, m.ID); err != nil {
				return err
			}
		}
	}
	if err := t.putJSON(bOutbox, itob(m.ID), m); err != nil {
		return err
	}
	if m.Status == bot.StatusQueued {
		if err := t.enqueueRow(queuedOf(m), m.ID, nil); err != nil {
			return err
		}
	} else if was == m.Status { // put back unchanged: drop a queue key left out of step
		if err := t.unqueue(queuedOf(m), m.ID); err != nil {
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

// unqueue deletes the queue key of a row keyed by q.
func (t *Tx) unqueue(q queued, id uint64) error {
	k, err := q.key(id)
	if err != nil {
		return err
	}
	return t.b(bQueue).Delete(k)
}

func setMember(b kv.Bucket, k []byte, in bool) error {
	if in {
		return b.Put(k, nil)
	}
	return b.Delete(k)
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
