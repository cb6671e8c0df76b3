package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"nudges/bot"
	"nudges/store/kv"
)

// EnqueueBulk implements bot.Broadcasts: each message gets an ID and the
// queued status and goes into the queue. It is a broadcast's fan-out, so it
// encodes rows by hand instead of through reflection and packs the
// append-only outbox and queue pages full.
func (t *Tx) EnqueueBulk(msgs []bot.OutMessage) error {
	outbox := t.b(bOutbox)
	outbox.SetFillPercent(1)
	t.b(bQueue).SetFillPercent(1)
	enc := bulkEncoder{strings: map[string][]byte{}}
	seen := laneNotes{}
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
		if err := t.enqueueRow(queuedOf(m), id, seen); err != nil {
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
		if e.strings == nil {
			e.strings = map[string][]byte{}
		}
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
	if m.From != "" {
		b = e.str(append(b, `,"from":`...), string(m.From))
	}
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
	Locale       string `json:"locale"`
	LocaleChosen bool   `json:"locale_chosen"`
	OptedOut     bool   `json:"opted_out"`
	Simulated    bool   `json:"simulated"`
	// NumberOptOuts is rare: a conversation with it decodes the slow way.
	NumberOptOuts map[bot.Phone]bot.NumberOptOut `json:"number_opt_outs"`
}

// AudiencePage implements bot.Broadcasts: one cursor over the list, one
// over the conversations (Get would make one per phone).
func (t *Tx) AudiencePage(keyword string, after bot.Phone, n int) ([]bot.Subscription, []bot.Conversation, error) {
	prefix := pair(keyword, "")
	cur := t.b(bSubs).Cursor()
	k, v := cur.Seek(pair(keyword, string(after)))
	if after != "" && k != nil && bytes.Equal(k, pair(keyword, string(after))) {
		k, v = cur.Next()
	}
	subs := make([]bot.Subscription, 0, min(n, 4096))
	for ; k != nil && bytes.HasPrefix(k, prefix) && len(subs) < n; k, v = cur.Next() {
		var s bot.Subscription
		if err := decodeSubscription(v, &s); err != nil {
			return nil, nil, fmt.Errorf("decode subscription %q: %w", k, err)
		}
		subs = append(subs, s)
	}
	convs := make([]bot.Conversation, len(subs))
	cc := t.b(bConversations).Cursor()
	var ck, data []byte
	for i, s := range subs {
		convs[i].Phone = s.Phone
		ck, data = nextAtLeast(cc, ck, []byte(s.Phone))
		if ck == nil || string(ck) != string(s.Phone) {
			continue
		}
		var c audienceConv
		if err := decodeAudienceConv(data, &c); err != nil {
			return nil, nil, fmt.Errorf("decode conversation %s: %w", s.Phone, err)
		}
		convs[i].Locale, convs[i].LocaleChosen = c.Locale, c.LocaleChosen
		convs[i].OptedOut, convs[i].Simulated = c.OptedOut, c.Simulated
		convs[i].NumberOptOuts = c.NumberOptOuts
	}
	return subs, convs, nil
}

// nextAtLeast moves cur to the first key at or after want: a few steps on
// from k (where cur is) when want is close, as a list read in phone order
// mostly is, else a seek from the root.
func nextAtLeast(cur kv.Cursor, k, want []byte) ([]byte, []byte) {
	if k == nil || bytes.Compare(k, want) >= 0 {
		return cur.Seek(want)
	}
	for range 4 {
		k, v := cur.Next()
		if k == nil || bytes.Compare(k, want) >= 0 {
			return k, v
		}
	}
	return cur.Seek(want)
}

// PutSubscriptions implements bot.Broadcasts (a fan-out noting NoticeAt on
// each), encoded by hand. Unlike
// PutSubscription it does not check that each phone is still on the list:
// the caller read them from it in this transaction, and must not change
// Paid (PutSubscription keeps the paid count).
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
	if s.Source != "" { // per phone: encoded without the shared cache
		q, _ := json.Marshal(s.Source)
		b = append(append(b, `,"source":`...), q...)
	}
	if s.HeardFrom != "" {
		b = e.str(append(b, `,"heard_from":`...), string(s.HeardFrom))
	}
	if s.Paid != "" {
		b = e.str(append(b, `,"paid":`...), s.Paid)
	}
	if !s.PaidUntil.IsZero() {
		b = appendTime(append(b, `,"paid_until":`...), s.PaidUntil)
	}
	if !s.PaidEnds.IsZero() {
		b = appendTime(append(b, `,"paid_ends":`...), s.PaidEnds)
	}
	return append(b, '}')
}
