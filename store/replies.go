package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	"nudges/bot"
)

var (
	_ bot.Handles  = (*Tx)(nil)
	_ bot.Forwards = (*Tx)(nil)
)

// Handle implements bot.Handles.
func (t *Tx) Handle(client, p bot.Phone) (int, error) {
	v := t.b(bHandles).Get(pair(string(client), string(p)))
	if v == nil {
		return 0, nil
	}
	return int(btoi(v)), nil
}

// HandlePhone implements bot.Handles.
func (t *Tx) HandlePhone(client bot.Phone, n int) (bot.Phone, error) {
	if n <= 0 {
		return "", nil
	}
	return bot.Phone(t.b(bHandlePhones).Get(pair(string(client), string(itob(uint64(n)))))), nil
}

// PutHandle implements bot.Handles.
func (t *Tx) PutHandle(client, p bot.Phone, n int) error {
	if err := t.b(bHandles).Put(pair(string(client), string(p)), itob(uint64(n))); err != nil {
		return fmt.Errorf("handle #%d of %s: %w", n, client, err)
	}
	if err := t.b(bHandlePhones).Put(pair(string(client), string(itob(uint64(n)))), []byte(p)); err != nil {
		return fmt.Errorf("handle #%d of %s: %w", n, client, err)
	}
	if err := t.b(bPhoneHandles).Put(pair(string(p), string(client)), itob(uint64(n))); err != nil {
		return fmt.Errorf("handle #%d of %s: %w", n, client, err)
	}
	return nil
}

// eraseHandles forgets p's handles with every client (an erase): a later
// "#n" answer to it finds nobody.
func (t *Tx) eraseHandles(p bot.Phone) error {
	prefix := pair(string(p), "")
	cur := t.b(bPhoneHandles).Cursor()
	for k, v := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = cur.Seek(prefix) {
		client := string(k[len(prefix):])
		if err := t.eraseThread(bot.Phone(client), int(btoi(v))); err != nil {
			return fmt.Errorf("erase thread: %w", err)
		}
		if err := t.b(bHandles).Delete(pair(client, string(p))); err != nil {
			return fmt.Errorf("erase handle: %w", err)
		}
		if err := t.b(bHandlePhones).Delete(pair(client, string(v))); err != nil {
			return fmt.Errorf("erase handle: %w", err)
		}
		if err := t.b(bPhoneHandles).Delete(bytes.Clone(k)); err != nil {
			return fmt.Errorf("erase handle: %w", err)
		}
	}
	return nil
}

// forwardKey is client \0 time (unix ns) \0 sequence: one per forward.
func forwardKey(client bot.Phone, at time.Time, seq uint64) []byte {
	k := pair(string(client), "")
	ns := uint64(0) // times before 1970 (the zero time) sort first
	if at.After(time.Unix(0, 0)) {
		ns = uint64(at.UnixNano())
	}
	k = binary.BigEndian.AppendUint64(k, ns)
	return binary.BigEndian.AppendUint64(k, seq)
}

// ForwardsSince implements bot.Forwards.
func (t *Tx) ForwardsSince(client bot.Phone, since time.Time) (int, error) {
	prefix := pair(string(client), "")
	n := 0
	cur := t.b(bForwards).Cursor()
	for k, _ := cur.Seek(forwardKey(client, since, 0)); k != nil && bytes.HasPrefix(k, prefix); k, _ = cur.Next() {
		n++
	}
	return n, nil
}

// AddForward implements bot.Forwards.
func (t *Tx) AddForward(client bot.Phone, at time.Time) error {
	seq, err := t.nextID(bForwards)
	if err != nil {
		return fmt.Errorf("note forward to %s: %w", client, err)
	}
	return t.b(bForwards).Put(forwardKey(client, at, seq), nil)
}

// DropForwardsBefore implements bot.Forwards.
func (t *Tx) DropForwardsBefore(client bot.Phone, before time.Time) error {
	prefix, end := pair(string(client), ""), forwardKey(client, before, 0)
	b := t.b(bForwards)
	cur := b.Cursor()
	for k, _ := cur.Seek(prefix); k != nil && bytes.Compare(k, end) < 0; k, _ = cur.Seek(prefix) {
		if err := b.Delete(bytes.Clone(k)); err != nil {
			return fmt.Errorf("forget forwards to %s: %w", client, err)
		}
	}
	return nil
}
