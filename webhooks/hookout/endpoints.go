package hookout

import (
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"nudges/bot"
)

// MaxURL bounds an endpoint's URL.
const MaxURL = 2000

// ErrLongURL is returned for a URL longer than MaxURL.
var ErrLongURL = errors.New("the URL is too long: at most 2000 characters")

// Form is the "add an endpoint" form that the console and the dashboard
// both show: the URL and the picked events, kept to fill the form in again
// when it is refused.
type Form struct {
	URL    string
	Events []string
}

// ReadForm reads the url field and the event boxes.
func ReadForm(v url.Values) Form {
	return Form{URL: strings.TrimSpace(v.Get("url")), Events: v["event"]}
}

// AllEvents are the boxes the form offers: bot.HookEvents.
func (Form) AllEvents() []string { return bot.HookEvents }

// IsPicked reports whether the box of ev is to be checked.
func (f Form) IsPicked(ev string) bool { return slices.Contains(f.Events, ev) }

// Owned returns the endpoint whose id is the path parameter raw, when
// owner has it (owner empty: the console, any owner's); nil otherwise, so
// that another owner's endpoint and no endpoint look the same.
func Owned(st bot.Store, owner bot.Phone, raw string) (*bot.HookEndpoint, error) {
	id, err := strconv.ParseUint(raw, 10, 64)
	if err != nil {
		return nil, nil
	}
	var e *bot.HookEndpoint
	err = st.View(func(tx bot.Tx) error {
		e, err = tx.HookEndpoint(id)
		return err
	})
	if err != nil || e == nil || (owner != "" && e.Owner != owner) {
		return nil, err
	}
	return e, nil
}

// WhyOwner is the Why of an endpoint its owner turned off.
const WhyOwner = "turned off by its owner"

// SetEnabled turns endpoint id's deliveries on or off. Off, its pending
// deliveries fail when due; on again, new events reach it.
func SetEnabled(st bot.Store, id uint64, on bool, now time.Time) error {
	return st.Update(func(tx bot.Tx) error {
		e, err := tx.HookEndpoint(id)
		if err != nil || e == nil || e.Enabled == on {
			return err
		}
		e.Enabled, e.DisabledAt, e.Why = on, time.Time{}, ""
		if !on {
			e.DisabledAt, e.Why = now.UTC(), WhyOwner
		}
		return tx.PutHookEndpoint(e)
	})
}

// Delete forgets endpoint id; its pending deliveries fail when due.
func Delete(st bot.Store, id uint64) error {
	return st.Update(func(tx bot.Tx) error { return tx.DeleteHookEndpoint(id) })
}

// SendTest queues a test event for e alone.
func SendTest(st bot.Store, e *bot.HookEndpoint, now time.Time) error {
	return st.Update(func(tx bot.Tx) error { return bot.TestHook(tx, e, now) })
}
