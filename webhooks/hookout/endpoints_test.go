package hookout

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"nudges/bot"
)

// Owned finds an endpoint for its owner and for the console (owner ""),
// and for anyone else, or a bad or unknown id, finds nothing.
func TestOwned(t *testing.T) {
	f := newFixture(t, loopback)
	e := f.endpoint(t, client, "https://93.184.216.34/")
	id := fmt.Sprint(e.ID)
	for _, c := range []struct {
		owner bot.Phone
		raw   string
		found bool
	}{
		{client, id, true}, {"", id, true}, {"+15550002222", id, false}, {bot.HookAdmin, id, false},
		{client, "999", false}, {client, "x", false}, {client, "-1", false}, {client, id + "0", false},
	} {
		got, err := Owned(f.db, c.owner, c.raw)
		if err != nil || (got != nil) != c.found || (got != nil && got.ID != e.ID) {
			t.Errorf("Owned(%q, %q) = %v, %v; want found %v", c.owner, c.raw, got, err, c.found)
		}
	}
}

// Turned off, an endpoint's pending deliveries fail without a request and
// new events skip it; on again, it hears new events.
func TestSetEnabled(t *testing.T) {
	rcv := newReceiver(t, 200)
	f := newFixture(t, loopback)
	e := f.endpoint(t, client, rcv.URL)
	f.emit(t, client)
	if err := SetEnabled(f.db, e.ID, false, f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	off, _ := Owned(f.db, client, fmt.Sprint(e.ID))
	if off.Enabled || off.Why != WhyOwner || !off.DisabledAt.Equal(f.clock.Now()) {
		t.Fatalf("off: %+v", off)
	}
	f.pass(t)
	f.emit(t, client)
	if ds := f.deliveries(t); len(ds) != 1 || ds[0].Status != bot.HookFailed || rcv.count() != 0 {
		t.Fatalf("while off: %+v, receiver got %d", ds, rcv.count())
	}
	if err := SetEnabled(f.db, e.ID, true, f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	f.emit(t, client)
	f.pass(t)
	if rcv.count() != 1 {
		t.Fatalf("on again: receiver got %d", rcv.count())
	}
}

// ReadForm trims the URL and keeps the boxes; a URL past MaxURL is refused
// before any lookup.
func TestReadFormAndLongURL(t *testing.T) {
	form := ReadForm(url.Values{"url": {"  https://93.184.216.34/x \n"}, "event": {bot.HookLinkClicked, "nope"}})
	if form.URL != "https://93.184.216.34/x" || !form.IsPicked(bot.HookLinkClicked) || form.IsPicked(bot.HookNumberReady) {
		t.Fatalf("%+v", form)
	}
	f := newFixture(t, loopback)
	long := "https://93.184.216.34/" + strings.Repeat("a", MaxURL)
	if _, err := Register(t.Context(), f.db, loopback, client, long, []string{bot.HookLinkClicked}, f.clock.Now()); err != ErrLongURL {
		t.Fatalf("long URL: %v", err)
	}
}
