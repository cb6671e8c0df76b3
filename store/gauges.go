package store

import (
	"bytes"
	"fmt"
	"time"

	"nudges/bot"
	"nudges/store/kv"
)

// gaugeWalkCap bounds the queue keys one scrape reads one by one (the
// urgent messages, normally a handful); the bulk count is the bucket's page
// headers, however long the queue.
const gaugeWalkCap = 100_000

// Gauges implements what metrics read at scrape time, in one read
// transaction: the queue by priority (bbolt's page counts give the total
// without reading a million rows), the announcements due later (a bounded
// walk of those only), the subscribers from the lists' count keys, and
// the clients by status and their own numbers by state.
func (db *DB) Gauges(now time.Time) (bot.Gauges, error) {
	g := bot.Gauges{Outbox: map[bot.Priority]int{}, Clients: map[bot.ClientStatus]int{}, Numbers: map[bot.NumberState]int{},
		BySender: map[bot.NumberKind]int{}}
	err := db.Read(func(tx *Tx) error {
		tx.queueDepth(g.Outbox)
		if err := tx.queueBySender(g.Outbox, g.BySender); err != nil {
			return err
		}
		g.Waiting = tx.waitingForWindow(now)
		tx.eachGroupCount(nil, func(_ []byte, n int) { g.Subscribers += n })
		return tx.EachClient(func(c *bot.Client) error {
			g.Clients[c.Status]++
			if c.Own != nil {
				g.Numbers[c.Own.State]++
			}
			return nil
		})
	})
	if err != nil {
		return g, fmt.Errorf("read gauges: %w", err)
	}
	return g, nil
}

// keyCount is how many keys b holds: bbolt keeps the count, other engines
// are walked (a read transaction has no size limit).
func keyCount(b kv.Bucket) int {
	if c, ok := b.(interface{ KeyN() int }); ok {
		return c.KeyN()
	}
	n := 0
	b.ForEach(func(_, _ []byte) error { n++; return nil })
	return n
}

// queueDepth counts the queue by priority: the urgent ones one by one (up to
// gaugeWalkCap), the bulk as the total less those.
func (t *Tx) queueDepth(out map[bot.Priority]int) {
	q := t.b(bQueue)
	total := keyCount(q)
	high := 0
	cur := q.Cursor()
	for k, _ := cur.Seek([]byte{byte(bot.PriorityHigh)}); k != nil && k[0] == byte(bot.PriorityHigh) && high < gaugeWalkCap; k, _ = cur.Next() {
		high++
	}
	out[bot.PriorityHigh] = high
	out[bot.PriorityBulk] = total - high
}

// waitingForWindow counts queued announcements due later than now (up to
// gaugeWalkCap): those held for their recipients' send window, and the few
// waiting out a retry's backoff. Each lane is ordered by due time, so this
// is a seek per bulk lane and a walk of the waiting rows only.
func (t *Tx) waitingForWindow(now time.Time) int {
	n := 0
	c := t.b(bQueue).Cursor()
	eachLane(t.b(bQueue).Cursor(), bot.PriorityBulk, func(lane []byte) bool {
		for k, _ := c.Seek(queueKey(lane, now.Add(time.Nanosecond), 0)); k != nil && bytes.HasPrefix(k, lane) && n < gaugeWalkCap; k, _ = c.Next() {
			n++
		}
		return n < gaugeWalkCap
	})
	return n
}

// queueBySender splits the queue (total from depth) by sender kind: the
// rows of lanes from clients' own numbers are walked (up to gaugeWalkCap),
// and the service number has the rest, so a million-row broadcast from the
// service number costs no walk. A number no client holds counts as local,
// the rate the dispatcher gives it.
func (t *Tx) queueBySender(depth map[bot.Priority]int, out map[bot.NumberKind]int) error {
	total := depth[bot.PriorityHigh] + depth[bot.PriorityBulk]
	kinds := map[bot.Phone]bot.NumberKind{}
	own, walked := 0, 0
	q := t.b(bQueue).Cursor()
	err := t.b(bLanes).ForEach(func(lane, _ []byte) error {
		if len(lane) != laneLen || walked >= gaugeWalkCap {
			return nil
		}
		from := senderOf(lane[1 : 1+senderLen])
		if from == "" {
			return nil
		}
		kind, ok := kinds[from]
		if !ok {
			c, err := t.ClientByNumber(from)
			if err != nil {
				return err
			}
			kind = bot.NumberLocal
			if c != nil && c.Own != nil && c.Own.Kind == bot.NumberTollFree {
				kind = bot.NumberTollFree
			}
			kinds[from] = kind
		}
		for k, _ := q.Seek(lane); k != nil && bytes.HasPrefix(k, lane) && walked < gaugeWalkCap; k, _ = q.Next() {
			out[kind]++
			own++
			walked++
		}
		return nil
	})
	out[bot.NumberService] = max(total-own, 0)
	return err
}
