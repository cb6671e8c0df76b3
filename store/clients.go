package store

import (
	"encoding/json"
	"fmt"

	"nudges/bot"
)

// Client implements bot.Clients.
// Subscribers is its list's size, counted from the list's count keys (see
// bListGroups): the client's own commands need it. The lookups by keyword,
// token, subscription and number leave it 0, since a subscriber's join
// reads the client by keyword and must not read the keys other joins write.
func (t *Tx) Client(p bot.Phone) (*bot.Client, error) {
	c, err := t.rawClient(p)
	if c != nil && c.Keyword != "" {
		c.Subscribers = t.subscriberCount(c.Keyword)
	}
	return c, err
}

// rawClient is the stored client record, Subscribers 0.
// Decoded records are memoized by their bytes (clientCache).
func (t *Tx) rawClient(p bot.Phone) (*bot.Client, error) {
	raw := t.b(bClients).Get([]byte(p))
	if raw == nil {
		return nil, nil
	}
	if c := t.clients.get(p, raw); c != nil {
		return c, nil
	}
	c := &bot.Client{}
	if err := json.Unmarshal(raw, c); err != nil {
		return nil, fmt.Errorf("decode %s/%q: %w", bClients, p, err)
	}
	c.Subscribers = 0 // a count kept here before schema 5: stale
	t.clients.put(p, raw, c)
	return c, nil
}

func (t *Tx) clientByIndex(bucket []byte, key string) (*bot.Client, error) {
	if key == "" {
		return nil, nil
	}
	p := t.b(bucket).Get([]byte(key))
	if p == nil {
		return nil, nil
	}
	return t.rawClient(bot.Phone(p))
}

// ClientByKeyword implements bot.Clients.
func (t *Tx) ClientByKeyword(keyword string) (*bot.Client, error) {
	t.prefetchKeyword(keyword)
	return t.clientByIndex(bKeywords, keyword)
}

// ClientByPayToken implements bot.Clients.
func (t *Tx) ClientByPayToken(token string) (*bot.Client, error) {
	return t.clientByIndex(bPayTokens, token)
}

// ClientBySubscription implements bot.Clients.
func (t *Tx) ClientBySubscription(id string) (*bot.Client, error) {
	return t.clientByIndex(bStripeSubs, id)
}

// ClientByNumber implements bot.Clients.
func (t *Tx) ClientByNumber(p bot.Phone) (*bot.Client, error) {
	return t.clientByIndex(bNumbers, string(p))
}

// PutClient implements bot.Clients. A keyword held by another client is an
// ECONFLICT error.
func (t *Tx) PutClient(c *bot.Client) error {
	old, err := t.rawClient(c.Phone)
	if err != nil {
		return err
	}
	if err := t.reindex(bKeywords, c.Phone, keyOf(old, func(o *bot.Client) string { return o.Keyword }), c.Keyword); err != nil {
		return err
	}
	if err := t.reindex(bPayTokens, c.Phone, keyOf(old, func(o *bot.Client) string { return o.PayToken }), c.PayToken); err != nil {
		return err
	}
	if err := t.reindex(bStripeSubs, c.Phone, keyOf(old, func(o *bot.Client) string { return o.SubscriptionID }), c.SubscriptionID); err != nil {
		return err
	}
	if err := t.reindex(bNumbers, c.Phone, keyOf(old, ownPhone), ownPhone(c)); err != nil {
		return err
	}
	stored := *c
	stored.Subscribers = 0 // counted from the list, never stored
	return t.putJSON(bClients, []byte(c.Phone), &stored)
}

// ownPhone is the index key of c's own number: empty once it is released.
func ownPhone(c *bot.Client) string {
	if c.Own == nil || c.Own.State == bot.NumberReleased {
		return ""
	}
	return string(c.Own.Phone)
}

func keyOf(c *bot.Client, f func(*bot.Client) string) string {
	if c == nil {
		return ""
	}
	return f(c)
}

// reindex moves phone's entry in an index bucket from oldKey to newKey.
func (t *Tx) reindex(bucket []byte, phone bot.Phone, oldKey, newKey string) error {
	b := t.b(bucket)
	if newKey != "" {
		if holder := b.Get([]byte(newKey)); holder != nil && string(holder) != string(phone) {
			return bot.Errorf(bot.ECONFLICT, "%s %q is taken", bucket, newKey)
		}
	}
	if oldKey != "" && oldKey != newKey {
		if err := b.Delete([]byte(oldKey)); err != nil {
			return fmt.Errorf("unindex %s: %w", bucket, err)
		}
	}
	if newKey == "" {
		return nil
	}
	return b.Put([]byte(newKey), []byte(phone))
}

// EachClient implements bot.Clients.
func (t *Tx) EachClient(fn func(*bot.Client) error) error {
	return t.b(bClients).ForEach(func(k, v []byte) error {
		c := &bot.Client{}
		if err := jsonDecode(v, c); err != nil {
			return fmt.Errorf("decode client %s: %w", k, err)
		}
		c.Subscribers = 0 // not counted here: see Client
		return fn(c)
	})
}
