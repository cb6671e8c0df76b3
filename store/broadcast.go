package store

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"nudges/bot"
)

// EnqueueBulk writes many outbound messages to the outbox in one go, as
// bot.Enqueue would one by one: each gets an ID and the queued status and
// goes into the queue (announcements reach the conversation log when they
// are sent, see recordOne). It is the fan-out
// of a broadcast (100,000 rows in one transaction), so it encodes rows by
// hand instead of through reflection and packs the append-only outbox and
// queue pages full. The caller has left out opted-out phones.
func (t *Tx) EnqueueBulk(now time.Time, msgs []bot.OutMessage) error {
	outbox, queue := t.b(bOutbox), t.b(bQueue)
	outbox.FillPercent, queue.FillPercent = 1, 1
	enc := bulkEncoder{strings: map[string][]byte{}}
	for i := range msgs {
		m := &msgs[i]
		id, err := outbox.NextSequence()
		if err != nil {
			return fmt.Errorf("bulk enqueue: %w", err)
		}
		m.ID, m.Status = id, bot.StatusQueued
		row, err := enc.message(m)
		if err != nil {
			return fmt.Errorf("bulk enqueue %s: %w", m.To, err)
		}
		if err := outbox.Put(itob(id), row); err != nil {
			return fmt.Errorf("bulk enqueue %s: %w", m.To, err)
		}
		if err := queue.Put(queueKey(m.Priority, id), itob(uint64(m.NextAt.UnixNano()))); err != nil {
			return fmt.Errorf("bulk enqueue %s: %w", m.To, err)
		}
	}
	return nil
}

// bulkEncoder writes OutMessage and Subscription JSON byte for byte as
// encoding/json would, caching the encoded strings a broadcast repeats.
type bulkEncoder struct {
	strings map[string][]byte
}

func (e *bulkEncoder) str(b []byte, s string) []byte {
	if plain(s) {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	q, ok := e.strings[s]
	if !ok {
		q, _ = json.Marshal(s) // a string always encodes
		e.strings[s] = q
	}
	return append(b, q...)
}

// plain reports whether s encodes as itself in quotes (phones, kinds).
func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// message encodes m; a message with fields a fresh one never has (tries,
// sid, errors) goes through encoding/json.
func (e *bulkEncoder) message(m *bot.OutMessage) ([]byte, error) {
	if m.Tries != 0 || m.SID != "" || m.ErrorCode != 0 || m.Error != "" {
		return json.Marshal(m)
	}
	b := make([]byte, 0, 256+2*len(m.Body))
	b = strconv.AppendUint(append(b, `{"id":`...), m.ID, 10)
	b = e.str(append(b, `,"to":`...), string(m.To))
	b = e.str(append(b, `,"body":`...), m.Body)
	b = e.str(append(b, `,"kind":`...), m.Kind)
	b = strconv.AppendUint(append(b, `,"priority":`...), uint64(m.Priority), 10)
	b = e.str(append(b, `,"status":`...), string(m.Status))
	if !m.NextAt.IsZero() {
		b = appendTime(append(b, `,"next_at":`...), m.NextAt)
	}
	if m.AnnouncementID != 0 {
		b = strconv.AppendUint(append(b, `,"announcement_id":`...), m.AnnouncementID, 10)
	}
	if m.Simulated {
		b = append(b, `,"simulated":true`...)
	}
	if m.MediaURL != "" {
		b = e.str(append(b, `,"media_url":`...), m.MediaURL)
	}
	b = appendTime(append(b, `,"created_at":`...), m.CreatedAt)
	b = appendTime(append(b, `,"updated_at":`...), m.UpdatedAt)
	return append(b, '}'), nil
}

// audienceConv is the part of a conversation a broadcast reads; decoding
// only it skips the log-shaped rest (times, misses, vars).
type audienceConv struct {
	Locale    string `json:"locale"`
	OptedOut  bool   `json:"opted_out"`
	Simulated bool   `json:"simulated"`
}

// Audience returns the subscriptions on keyword's list, in phone order, and
// beside each the subscriber's conversation with only Phone, Locale,
// OptedOut and Simulated filled in: what a broadcast needs, read fast.
func (t *Tx) Audience(keyword string) ([]bot.Subscription, []bot.Conversation, error) {
	var subs []bot.Subscription
	err := t.EachSubscriber(keyword, func(s bot.Subscription) error {
		subs = append(subs, s)
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("audience of %s: %w", keyword, err)
	}
	convs := make([]bot.Conversation, len(subs))
	cur := t.b(bConversations).Cursor() // one cursor: Get would make one per phone
	for i, s := range subs {
		convs[i].Phone = s.Phone
		k, data := cur.Seek([]byte(s.Phone))
		if k == nil || string(k) != string(s.Phone) {
			continue
		}
		var c audienceConv
		if err := json.Unmarshal(data, &c); err != nil {
			return nil, nil, fmt.Errorf("decode conversation %s: %w", s.Phone, err)
		}
		convs[i].Locale, convs[i].OptedOut, convs[i].Simulated = c.Locale, c.OptedOut, c.Simulated
	}
	return subs, convs, nil
}

// PutSubscriptions saves subscriptions read earlier in this transaction (a
// broadcast noting NoticeAt on each), encoded by hand. Unlike
// PutSubscription it does not check that each phone is still on the list:
// the caller read them from it in this transaction.
func (t *Tx) PutSubscriptions(subs []bot.Subscription) error {
	b := t.b(bSubs)
	enc := bulkEncoder{strings: map[string][]byte{}}
	for _, s := range subs {
		if err := b.Put(pair(s.Keyword, string(s.Phone)), enc.subscription(s)); err != nil {
			return fmt.Errorf("save subscription %s on %s: %w", s.Phone, s.Keyword, err)
		}
	}
	return nil
}

func (e *bulkEncoder) subscription(s bot.Subscription) []byte {
	b := make([]byte, 0, 128)
	b = e.str(append(b, `{"keyword":`...), s.Keyword)
	b = e.str(append(b, `,"phone":`...), string(s.Phone))
	b = appendTime(append(b, `,"joined_at":`...), s.JoinedAt)
	if !s.NoticeAt.IsZero() {
		b = appendTime(append(b, `,"notice_at":`...), s.NoticeAt)
	}
	return append(b, '}')
}
