package store

import "nudges/bot"

// Enqueue implements bot.Outbox.
func (t *Tx) Enqueue(m *bot.OutMessage) error {
	id, err := t.nextID(bOutbox)
	if err != nil {
		return err
	}
	m.ID = id
	m.Status = bot.StatusQueued
	if err := t.putJSON(bOutbox, itob(id), m); err != nil {
		return err
	}
	return t.enqueueRow(queuedOf(m), id, nil)
}

// OutMessage implements bot.Outbox.
func (t *Tx) OutMessage(id uint64) (*bot.OutMessage, error) {
	m := &bot.OutMessage{}
	ok, err := t.getJSON(bOutbox, itob(id), m)
	if !ok || err != nil {
		return nil, err
	}
	return m, nil
}

// PutAnnouncement implements bot.Outbox, assigning an ID when a.ID is zero.
func (t *Tx) PutAnnouncement(a *bot.Announcement) error {
	if a.ID == 0 {
		id, err := t.nextID(bAnnouncements)
		if err != nil {
			return err
		}
		a.ID = id
	}
	if a.Fanning {
		if err := t.b(bFanning).Put(itob(a.ID), nil); err != nil {
			return err
		}
	} else if err := t.b(bFanning).Delete(itob(a.ID)); err != nil {
		return err
	}
	if err := t.indexDone(a); err != nil {
		return err
	}
	if err := t.indexSent(a); err != nil {
		return err
	}
	return t.putJSON(bAnnouncements, itob(a.ID), a)
}

// Fanning implements bot.Broadcasts.
func (t *Tx) Fanning() ([]uint64, error) {
	var ids []uint64
	err := t.b(bFanning).ForEach(func(k, _ []byte) error {
		ids = append(ids, btoi(k))
		return nil
	})
	return ids, err
}

// Announcement implements bot.Outbox.
func (t *Tx) Announcement(id uint64) (*bot.Announcement, error) {
	a := &bot.Announcement{}
	ok, err := t.getJSON(bAnnouncements, itob(id), a)
	if !ok || err != nil {
		return nil, err
	}
	return a, nil
}

// OutboxSince returns up to limit messages to p with ids above after, oldest
// first (the chat command's feed of asynchronous replies).
func (t *Tx) OutboxSince(p bot.Phone, after uint64, limit int) ([]bot.OutMessage, error) {
	var out []bot.OutMessage
	cur := t.b(bOutbox).Cursor()
	for k, v := cur.Seek(itob(after + 1)); k != nil && len(out) < limit; k, v = cur.Next() {
		var m bot.OutMessage
		if err := jsonDecode(v, &m); err != nil {
			return nil, err
		}
		if m.To == p {
			out = append(out, m)
		}
	}
	return out, nil
}

// ChatFeed serves `nudges chat` (GET /dev/messages in dev mode) the texts
// queued for its phone. Console login codes are left out: the feed asks no
// credentials.
type ChatFeed struct{ DB *DB }

// Since returns up to 100 messages to p with ids above after, oldest first.
func (f ChatFeed) Since(p bot.Phone, after uint64) ([]bot.OutMessage, error) {
	var out []bot.OutMessage
	err := f.DB.Read(func(tx *Tx) error {
		msgs, err := tx.OutboxSince(p, after, 100)
		for _, m := range msgs {
			if m.Kind != bot.KindOTP {
				out = append(out, m)
			}
		}
		return err
	})
	return out, err
}
