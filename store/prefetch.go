package store

import (
	"nudges/bot"
	"nudges/store/kv"
)

var (
	_ bot.TurnPrefetcher = (*Tx)(nil)
	_ bot.TurnReplays    = (*DB)(nil)
)

// ReplaysInTurn implements bot.TurnReplays: on etcd, where a read
// transaction is a request to the cluster and a turn's first request
// reads the MessageSid's record with the rest (PrefetchTurn).
func (db *DB) ReplaysInTurn() bool { return !db.grouped }

// PrefetchTurn implements bot.TurnPrefetcher: the keys every turn of an
// inbound text reads before its words are understood (the MessageSid's
// record, the phone's conversation, whether the phone is a client, the
// number it texted, its lists, and for a new phone the erase
// suppressions), and each guessed keyword's owner and the phone's
// subscription to it, in one request on etcd. bbolt reads its pages directly:
// nothing to do there.
func (t *Tx) PrefetchTurn(sid string, from, to bot.Phone, words []string) {
	if _, ok := t.tx.(kv.Prefetcher); !ok {
		return
	}
	t.turn = from
	reads := []kv.Read{
		{Bucket: bConversations, Key: []byte(from)},
		{Bucket: bClients, Key: []byte(from)},
		{Bucket: bNumbers, Key: []byte(to)},
		{Bucket: bPhoneSubs, Key: pair(string(from), ""), Prefix: true},
		{Bucket: bSuppress, Prefix: true},
	}
	if sid != "" {
		reads = append(reads, kv.Read{Bucket: bInbound, Key: []byte(sid)})
	}
	for _, w := range words {
		reads = append(reads, kv.Read{Bucket: bKeywords, Key: []byte(w)},
			kv.Read{Bucket: bSubs, Key: pair(w, string(from))})
	}
	t.prefetch(reads...)
}

// prefetch reads what the transaction is about to read in one request on
// etcd; nothing on bbolt.
func (t *Tx) prefetch(reads ...kv.Read) {
	if p, ok := t.tx.(kv.Prefetcher); ok {
		p.Prefetch(reads...)
	}
}

// prefetchKeyword reads at once, in a turn, what the turn's phone joining,
// leaving or asking about keyword reads: the keyword's owner and the
// phone's subscription, then the owner's record, the owner's and the
// admins' webhook endpoints and the list's count key of the phone. Two
// requests on etcd instead of up to six.
func (t *Tx) prefetchKeyword(keyword string) {
	if t.turn == "" || keyword == "" {
		return
	}
	t.prefetch(kv.Read{Bucket: bKeywords, Key: []byte(keyword)},
		kv.Read{Bucket: bSubs, Key: pair(keyword, string(t.turn))})
	owner := t.b(bKeywords).Get([]byte(keyword))
	if owner == nil {
		return
	}
	t.prefetch(kv.Read{Bucket: bClients, Key: owner},
		kv.Read{Bucket: bHooks, Key: pair(string(owner), ""), Prefix: true},
		kv.Read{Bucket: bHooks, Key: pair(string(bot.HookAdmin), ""), Prefix: true},
		kv.Read{Bucket: bListGroups, Key: []byte(groupKey(keyword, t.turn))})
}
