package store

import (
	"bytes"
	"time"

	"nudges/bot"
)

var (
	bHooks    = []byte("hooks")     // owner \0 id → bot.HookEndpoint
	bHookIDs  = []byte("hook_ids")  // id → owner
	bHookRows = []byte("hook_rows") // id → bot.HookDelivery
	bHookDue  = []byte("hook_due")  // next try (unix ns), id → nothing: pending rows
)

func hookKey(owner bot.Phone, id uint64) []byte {
	return append(pair(string(owner), ""), itob(id)...)
}

// HookTargets implements bot.Hooks: a prefix seek for owner and one for
// the admins, nothing more when neither has an endpoint.
func (t *Tx) HookTargets(owner bot.Phone, typ string) ([]bot.HookEndpoint, error) {
	owners := []bot.Phone{bot.HookAdmin}
	if owner != "" && owner != bot.HookAdmin {
		owners = append(owners, owner)
	}
	var out []bot.HookEndpoint
	for _, o := range owners {
		eps, err := t.hooksOf(o)
		if err != nil {
			return nil, err
		}
		for _, e := range eps {
			if e.Wants(typ) {
				out = append(out, e)
			}
		}
	}
	return out, nil
}

func (t *Tx) hooksOf(owner bot.Phone) ([]bot.HookEndpoint, error) {
	prefix := pair(string(owner), "")
	var out []bot.HookEndpoint
	c := t.prefixCursor(bHooks, prefix)
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var e bot.HookEndpoint
		if err := jsonDecode(v, &e); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// HookEndpoint implements bot.Hooks.
func (t *Tx) HookEndpoint(id uint64) (*bot.HookEndpoint, error) {
	owner := t.b(bHookIDs).Get(itob(id))
	if owner == nil {
		return nil, nil
	}
	e := &bot.HookEndpoint{}
	ok, err := t.getJSON(bHooks, hookKey(bot.Phone(owner), id), e)
	if !ok || err != nil {
		return nil, err
	}
	return e, nil
}

// HookEndpoints implements bot.Hooks.
func (t *Tx) HookEndpoints(owner bot.Phone) ([]bot.HookEndpoint, error) {
	if owner != "" {
		return t.hooksOf(owner)
	}
	var out []bot.HookEndpoint
	err := t.b(bHooks).ForEach(func(_, v []byte) error {
		var e bot.HookEndpoint
		if err := jsonDecode(v, &e); err != nil {
			return err
		}
		out = append(out, e)
		return nil
	})
	return out, err
}

// PutHookEndpoint implements bot.Hooks.
func (t *Tx) PutHookEndpoint(e *bot.HookEndpoint) error {
	if e.ID == 0 {
		id, err := t.nextID(bHookIDs)
		if err != nil {
			return err
		}
		e.ID = id
	}
	if err := t.b(bHookIDs).Put(itob(e.ID), []byte(e.Owner)); err != nil {
		return err
	}
	return t.putJSON(bHooks, hookKey(e.Owner, e.ID), e)
}

// DeleteHookEndpoint implements bot.Hooks.
func (t *Tx) DeleteHookEndpoint(id uint64) error {
	owner := t.b(bHookIDs).Get(itob(id))
	if owner == nil {
		return nil
	}
	if err := t.b(bHooks).Delete(hookKey(bot.Phone(owner), id)); err != nil {
		return err
	}
	return t.b(bHookIDs).Delete(itob(id))
}

func hookDueKey(at time.Time, id uint64) []byte {
	return append(itob(uint64(at.UnixNano())), itob(id)...)
}

// PutHookDelivery implements bot.Hooks.
func (t *Tx) PutHookDelivery(d *bot.HookDelivery) error {
	if d.ID == 0 {
		id, err := t.nextID(bHookRows)
		if err != nil {
			return err
		}
		d.ID = id
	} else {
		old := &bot.HookDelivery{}
		ok, err := t.getJSON(bHookRows, itob(d.ID), old)
		if err != nil {
			return err
		}
		if ok && old.Status == bot.HookPending {
			if err := t.b(bHookDue).Delete(hookDueKey(old.NextAt, d.ID)); err != nil {
				return err
			}
		}
	}
	if d.Status == bot.HookPending {
		if err := t.b(bHookDue).Put(hookDueKey(d.NextAt, d.ID), nil); err != nil {
			return err
		}
	}
	return t.putJSON(bHookRows, itob(d.ID), d)
}

// HookDelivery implements bot.Hooks.
func (t *Tx) HookDelivery(id uint64) (*bot.HookDelivery, error) {
	d := &bot.HookDelivery{}
	ok, err := t.getJSON(bHookRows, itob(id), d)
	if !ok || err != nil {
		return nil, err
	}
	return d, nil
}

// DueHookDeliveries implements bot.Hooks.
func (t *Tx) DueHookDeliveries(now time.Time, n int) ([]uint64, error) {
	var ids []uint64
	end := itob(uint64(now.UnixNano()))
	c := t.b(bHookDue).Cursor()
	for k, _ := c.First(); k != nil && len(ids) < n && bytes.Compare(k[:8], end) <= 0; k, _ = c.Next() {
		ids = append(ids, btoi(k[8:]))
	}
	return ids, nil
}

// HookDeliveries implements bot.Hooks, among the 20·n newest rows.
func (t *Tx) HookDeliveries(endpoint uint64, n int) ([]bot.HookDelivery, error) {
	var out []bot.HookDelivery
	c := t.b(bHookRows).Cursor()
	scan := 20 * n // an endpoint's rows among everyone's: look this far back
	for k, v := c.Last(); k != nil && len(out) < n && scan > 0; k, v = c.Prev() {
		scan--
		var d bot.HookDelivery
		if err := jsonDecode(v, &d); err != nil {
			return nil, err
		}
		if endpoint == 0 || d.Endpoint == endpoint {
			out = append(out, d)
		}
	}
	return out, nil
}

// hookClick emits link.clicked for a counted click, to the client of the
// link's announcement.
func (t *Tx) hookClick(code string, r linkRecord, now time.Time) error {
	a, err := t.Announcement(r.Announcement)
	if err != nil || a == nil {
		return err
	}
	data := map[string]any{"code": code, "url": r.URL, "announcement": a.ID, "keyword": a.Keyword, "clicks": r.Clicks, "at": now.UTC()}
	return bot.EmitHook(t, a.Client, bot.HookLinkClicked, now, data)
}

// PruneHookDeliveries deletes delivered and failed webhook rows created
// before before, oldest first, in transactions of at most 1,000 rows; it
// returns how many went. Pending rows are never older than
// bot.HookGiveUp, so a cut-off past that leaves them all.
func (db *DB) PruneHookDeliveries(before time.Time) (int, error) {
	total := 0
	for {
		n, more := 0, false
		err := db.Write(func(tx *Tx) error {
			n, more = 0, false
			c := tx.b(bHookRows).Cursor()
			var dead [][]byte
			for k, v := c.First(); k != nil; k, v = c.Next() {
				if len(dead) == 1000 {
					more = true
					break
				}
				var d bot.HookDelivery
				if err := jsonDecode(v, &d); err != nil {
					return err
				}
				if !d.CreatedAt.Before(before) {
					break
				}
				if d.Status != bot.HookPending {
					dead = append(dead, bytes.Clone(k))
				}
			}
			for _, k := range dead {
				if err := tx.b(bHookRows).Delete(k); err != nil {
					return err
				}
			}
			n = len(dead)
			return nil
		})
		total += n
		if err != nil || !more {
			return total, err
		}
	}
}
