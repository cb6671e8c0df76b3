package store

import (
	"bytes"
	"fmt"
	"time"

	"nudges/bot"
)

// Conversation implements bot.Conversations.
func (t *Tx) Conversation(p bot.Phone) (*bot.Conversation, error) {
	c := &bot.Conversation{}
	ok, err := t.getJSON(bConversations, []byte(p), c)
	if err != nil {
		return nil, err
	}
	if !ok {
		return &bot.Conversation{Phone: p}, nil
	}
	return c, nil
}

// PutConversation implements bot.Conversations.
func (t *Tx) PutConversation(c *bot.Conversation) error {
	return t.putJSON(bConversations, []byte(c.Phone), c)
}

// EachConversation calls fn for every phone the service has heard from, in
// phone order, starting at the first phone >= from.
func (t *Tx) EachConversation(from bot.Phone, fn func(*bot.Conversation) error) error {
	cur := t.b(bConversations).Cursor()
	for k, v := cur.Seek([]byte(from)); k != nil; k, v = cur.Next() {
		c := &bot.Conversation{}
		if err := jsonDecode(v, c); err != nil {
			return fmt.Errorf("decode conversation %s: %w", k, err)
		}
		if err := fn(c); err != nil {
			return err
		}
	}
	return nil
}

type inboundRecord struct {
	Reply string    `json:"reply"`
	At    time.Time `json:"at"`
}

// InboundReply implements bot.Inbounds.
func (t *Tx) InboundReply(sid string) (string, bool, error) {
	var r inboundRecord
	ok, err := t.getJSON(bInbound, []byte(sid), &r)
	return r.Reply, ok, err
}

// PutInboundReply implements bot.Inbounds.
func (t *Tx) PutInboundReply(sid, reply string, at time.Time) error {
	if err := t.putJSON(bInbound, []byte(sid), inboundRecord{Reply: reply, At: at}); err != nil {
		return err
	}
	return t.expires(expInbound, at, sid)
}

// AppendLog implements bot.Log.
func (t *Tx) AppendLog(e bot.LogEntry) error {
	seq, err := t.nextID(bLog)
	if err != nil {
		return err
	}
	return t.putJSON(bLog, append(pair(string(e.Phone), ""), itob(seq)...), e)
}

// LogOf returns the last n entries of p's conversation log, oldest first.
func (t *Tx) LogOf(p bot.Phone, n int) ([]bot.LogEntry, error) {
	prefix := pair(string(p), "")
	cur := t.b(bLog).Cursor()
	var out []bot.LogEntry
	// Seek past the phone's last entry, then walk back.
	end := append(bytes.Clone(prefix), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
	k, v := cur.Seek(end)
	if k == nil {
		k, v = cur.Last()
	} else {
		k, v = cur.Prev()
	}
	for ; k != nil && bytes.HasPrefix(k, prefix) && len(out) < n; k, v = cur.Prev() {
		var e bot.LogEntry
		if err := jsonDecode(v, &e); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}
