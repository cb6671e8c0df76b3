package flows

import (
	"fmt"
	"time"

	"nudges/bot"
)

// recipient is one subscriber an announcement goes to.
type recipient struct {
	sub  bot.Subscription
	conv *bot.Conversation
}

// recipients lists the phones on keyword's list now, each conversation read
// once; opted-out phones are left out.
func recipients(tx bot.Tx, keyword string) ([]recipient, error) {
	subs, convs, err := audience(tx, keyword)
	if err != nil {
		return nil, err
	}
	rs := make([]recipient, 0, len(subs))
	for i, s := range subs {
		if !convs[i].OptedOut {
			rs = append(rs, recipient{sub: s, conv: &convs[i]})
		}
	}
	return rs, nil
}

// audienceReader is a transaction that reads a list with what a broadcast
// needs of each subscriber's conversation in one pass (the bbolt store is one).
type audienceReader interface {
	Audience(keyword string) ([]bot.Subscription, []bot.Conversation, error)
}

// audience returns keyword's subscriptions and their conversations.
func audience(tx bot.Tx, keyword string) ([]bot.Subscription, []bot.Conversation, error) {
	if a, ok := tx.(audienceReader); ok {
		return a.Audience(keyword)
	}
	var subs []bot.Subscription
	err := tx.EachSubscriber(keyword, func(s bot.Subscription) error {
		subs = append(subs, s)
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("list %s: %w", keyword, err)
	}
	convs := make([]bot.Conversation, len(subs))
	for i, s := range subs {
		conv, err := tx.Conversation(s.Phone)
		if err != nil {
			return nil, nil, fmt.Errorf("load subscriber %s: %w", s.Phone, err)
		}
		convs[i] = *conv
	}
	return subs, convs, nil
}

// fanOut queues a's text to every recipient in its own language, with the
// opt-out line for those who have not had it in NoticeEvery.
func fanOut(t *bot.Turn, name string, a *bot.Announcement, rs []recipient) error {
	type variant struct {
		lang   string
		notice bool
		mms    bool
	}
	bodies := map[variant]string{}
	msgs := make([]bot.OutMessage, len(rs))
	var noticed []bot.Subscription
	for i, r := range rs {
		if t.Conv.Simulated {
			r.conv.Simulated = true // a simulated client's broadcast is captured for everyone
		}
		text, media := deliveredTo(a, r.conv.Phone)
		v := variant{langOf(r.conv), r.sub.NoticeAt.IsZero() || t.Now.Sub(r.sub.NoticeAt) >= NoticeEvery, media != ""}
		body, ok := bodies[v]
		if !ok {
			body = announcementBody(t.T, v.lang, v.notice, name, text)
			bodies[v] = body
		}
		msgs[i] = bot.OutMessage{
			To: r.conv.Phone, Body: body, MediaURL: media, Kind: bot.KindAnnouncement, Priority: bot.PriorityBulk,
			AnnouncementID: a.ID, Simulated: r.conv.Simulated, CreatedAt: t.Now, UpdatedAt: t.Now, NextAt: t.Now,
		}
		if v.notice {
			r.sub.NoticeAt = t.Now
			noticed = append(noticed, r.sub)
		}
	}
	if err := putSubscriptions(t.Tx, noticed); err != nil {
		return err
	}
	return enqueueAll(t, msgs)
}

// bulkSubscriptions is a transaction that saves many subscriptions read in
// it at once (the bbolt store is one).
type bulkSubscriptions interface {
	PutSubscriptions(subs []bot.Subscription) error
}

func putSubscriptions(tx bot.Tx, subs []bot.Subscription) error {
	if bulk, ok := tx.(bulkSubscriptions); ok {
		if err := bulk.PutSubscriptions(subs); err != nil {
			return fmt.Errorf("note opt-out lines: %w", err)
		}
		return nil
	}
	for _, s := range subs {
		if err := tx.PutSubscription(s); err != nil {
			return fmt.Errorf("note opt-out line for %s: %w", s.Phone, err)
		}
	}
	return nil
}

// bulkEnqueuer is a transaction that writes many outbox rows at once, as
// bot.Enqueue does one by one (the bbolt store is one).
type bulkEnqueuer interface {
	EnqueueBulk(now time.Time, msgs []bot.OutMessage) error
}

func enqueueAll(t *bot.Turn, msgs []bot.OutMessage) error {
	if bulk, ok := t.Tx.(bulkEnqueuer); ok {
		if err := bulk.EnqueueBulk(t.Now, msgs); err != nil {
			return fmt.Errorf("announce: %w", err)
		}
		return nil
	}
	for i := range msgs {
		if err := t.Tx.Enqueue(&msgs[i]); err != nil { // announcements are logged when sent
			return fmt.Errorf("announce to %s: %w", msgs[i].To, err)
		}
	}
	return nil
}
