package app

import (
	"fmt"
	"strconv"

	"nudges/bot"
	"nudges/store"
	"nudges/webhooks/webkit"
)

// The states whose import and answer forms are refused: a suspended or
// canceled list reads everything and changes nothing here.
var (
	cannotImport = []bot.ClientStatus{bot.ClientSuspended, bot.ClientCanceled}
	cannotAnswer = []bot.ClientStatus{bot.ClientSuspended, bot.ClientCanceled}
)

// keywordOf is owner's list keyword.
func (h *harness) keywordOf(owner bot.Phone) string {
	h.t.Helper()
	var kw string
	h.write(func(tx *store.Tx) error {
		c, err := tx.Client(owner)
		if c != nil {
			kw = c.Keyword
		}
		return err
	})
	return kw
}

// importOf is a (finished, empty) import onto owner's list.
func importOf(h *harness, owner bot.Phone) map[string]string {
	id := "imp" + string(owner[len(owner)-4:])
	if h.dash.jobs.Get(id) == nil {
		j := &webkit.ImportJob{ID: id, Keyword: h.keywordOf(owner), File: "old.csv", By: owner, Started: t0}
		h.dash.jobs.Add(j)
	}
	return map[string]string{"id": id}
}

// threadOf is a reply thread of owner's, numbered from owner's phone so
// that two clients' threads never share a #n (handles are per client: A's
// #1 and B's #1 are both real, and the wall asks A for a number only B has).
func threadOf(h *harness, owner bot.Phone) map[string]string {
	n, _ := strconv.Atoi(string(owner[len(owner)-4:]))
	sub := bot.Phone(fmt.Sprintf("+1555880%04d", n))
	kw := h.keywordOf(owner)
	h.write(func(tx *store.Tx) error {
		if _, err := tx.Subscribe(kw, sub, t0); err != nil {
			return err
		}
		if err := tx.PutHandle(owner, sub, n); err != nil {
			return err
		}
		return tx.AppendThread(owner, n, bot.ThreadMessage{At: h.clock.Now(), In: true, Text: "is class full?"})
	})
	return map[string]string{"n": strconv.Itoa(n)}
}
