package hookout

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"nudges/bot"
)

// ErrBadEvents is returned for a registration with no event, or one that
// is not an event type.
var ErrBadEvents = errors.New("pick one or more webhook events")

// Register checks url's length and the guard's rule, and events against
// bot.HookEvents, then saves an enabled endpoint for owner (a client's
// phone, or bot.HookAdmin) with a fresh secret. The secret is in the result: show it once. The
// console and the client's dashboard both register through it.
func Register(ctx context.Context, store bot.Store, g Guard, owner bot.Phone, url string, events []string, now time.Time) (*bot.HookEndpoint, error) {
	if len(url) > MaxURL {
		return nil, ErrLongURL
	}
	if len(events) == 0 {
		return nil, ErrBadEvents
	}
	for _, e := range events {
		if !slices.Contains(bot.HookEvents, e) {
			return nil, fmt.Errorf("%w: %q is not one", ErrBadEvents, e)
		}
	}
	if err := g.CheckURL(ctx, url); err != nil {
		return nil, err
	}
	e := &bot.HookEndpoint{Owner: owner, URL: url, Events: slices.Clone(events), Secret: bot.NewHookSecret(), Enabled: true, CreatedAt: now}
	err := store.Update(func(tx bot.Tx) error { e.ID = 0; return tx.PutHookEndpoint(e) })
	if err != nil {
		return nil, fmt.Errorf("register webhook: %w", err)
	}
	return e, nil
}
