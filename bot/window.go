package bot

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	_ "time/tzdata" // zones resolve even on a host without /usr/share/zoneinfo

	"github.com/nyaruka/phonenumbers"
)

// Window is a daily span of local time, [Open, Close) after midnight, in
// which announcements may reach a phone. The zero Window is off: always open.
type Window struct {
	Open, Close time.Duration
}

// WindowOff is the window that never holds anything back.
var WindowOff = Window{}

// DefaultWindow is 08:00–20:00, the strictest US state rule (Florida,
// Oklahoma).
var DefaultWindow = Window{Open: 8 * time.Hour, Close: 20 * time.Hour}

// ParseWindow reads "HH:MM-HH:MM" (e.g. "08:00-20:00"; the end may be
// 24:00) or "off".
func ParseWindow(s string) (Window, error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "off") {
		return WindowOff, nil
	}
	from, to, ok := strings.Cut(s, "-")
	open, err1 := clockTime(from)
	end, err2 := clockTime(to)
	if !ok || err1 != nil || err2 != nil || open >= end {
		return Window{}, fmt.Errorf("send window %q: write it as HH:MM-HH:MM with the start before the end, like 08:00-20:00, or off", s)
	}
	return Window{Open: open, Close: end}, nil
}

// clockTime reads "HH:MM" as the time after midnight, 00:00 to 24:00.
func clockTime(s string) (time.Duration, error) {
	var h, m int
	s = strings.TrimSpace(s)
	if _, err := fmt.Sscanf(s, "%2d:%2d", &h, &m); err != nil || len(s) != 5 {
		return 0, fmt.Errorf("clock time %q: want HH:MM", s)
	}
	if h < 0 || m < 0 || m > 59 || h > 24 || h == 24 && m != 0 {
		return 0, fmt.Errorf("clock time %q: out of range", s)
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, nil
}

// Off reports whether the window holds nothing back.
func (w Window) Off() bool { return w == WindowOff }

// String is the window as ParseWindow reads it.
func (w Window) String() string {
	if w.Off() {
		return "off"
	}
	hm := func(d time.Duration) string { return fmt.Sprintf("%02d:%02d", int(d.Hours()), int(d.Minutes())%60) }
	return hm(w.Open) + "-" + hm(w.Close)
}

// openAt reports whether t falls inside the window on loc's clock.
func (w Window) openAt(t time.Time, loc *time.Location) bool {
	h, m, s := t.In(loc).Clock()
	d := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second
	return d >= w.Open && d < w.Close
}

// opening is the instant the window opens on the local day of t in loc,
// moved by days.
func (w Window) opening(t time.Time, loc *time.Location, days int) time.Time {
	y, mo, d := t.In(loc).Date()
	h, m := int(w.Open/time.Hour), int(w.Open%time.Hour/time.Minute)
	return time.Date(y, mo, d+days, h, m, 0, 0, loc).In(t.Location())
}

// next is the earliest instant at or after now when the window is open in
// loc.
func (w Window) next(now time.Time, loc *time.Location) time.Time {
	if w.openAt(now, loc) {
		return now
	}
	for days := 0; days <= 2; days++ {
		if t := w.opening(now, loc, days); !t.Before(now) {
			return t
		}
	}
	return now // unreachable for a valid window
}

// SendWindow decides when an announcement may reach a phone: inside the
// Window of the phone's local time, in every zone its number may be in.
// It is safe for concurrent use.
type SendWindow struct {
	Window   Window
	Fallback *time.Location // NUDGES_TIMEZONE: for numbers whose zone is unknown

	sets sync.Map // first zone name → []*zoneSet
}

// NewSendWindow returns the send window w, with fallback as the zone of
// numbers that tell none (nil means America/New_York).
func NewSendWindow(w Window, fallback *time.Location) *SendWindow {
	if fallback == nil {
		fallback = mustZone("America/New_York")
	}
	return &SendWindow{Window: w, Fallback: fallback}
}

// NextOpen is when an announcement may reach p: now if the window is open
// in every zone p's number may be in, else the earliest instant when it
// is. Where those zones' windows never meet (a +1 555 number could be
// anywhere from Guam to Newfoundland), the fallback zone decides.
func (s *SendWindow) NextOpen(p Phone, now time.Time) time.Time {
	if s.Window.Off() {
		return now
	}
	set := s.zoneSet(p)
	if m := set.memo.Load(); m != nil && !now.Before(m.from) && now.Before(m.until) {
		if m.open {
			return now
		}
		return m.until
	}
	locs := set.locs
	if set.disjoint {
		locs = []*time.Location{s.Fallback}
	}
	t, ok := s.common(locs, now)
	if !ok { // the zones' windows part for a few days (DST changes)
		return s.Window.next(now, s.Fallback)
	}
	set.memo.Store(s.memoFor(locs, now, t))
	return t
}

// memo is a zone set's last answer and how long it holds: open until the
// first of its zones closes, or closed until the answer.
type memo struct {
	from, until time.Time
	open        bool
}

func (s *SendWindow) memoFor(locs []*time.Location, now, next time.Time) *memo {
	if !next.Equal(now) {
		return &memo{from: now, until: next}
	}
	m := &memo{from: now, open: true}
	h, min := int(s.Window.Close/time.Hour), int(s.Window.Close%time.Hour/time.Minute)
	for _, loc := range locs {
		y, mo, d := now.In(loc).Date()
		if end := time.Date(y, mo, d, h, min, 0, 0, loc); m.until.IsZero() || end.Before(m.until) {
			m.until = end
		}
	}
	return m
}

// common is the earliest instant at or after now when the window is open
// in all of locs: now, or one zone's opening within the next two days.
func (s *SendWindow) common(locs []*time.Location, now time.Time) (time.Time, bool) {
	var buf [16]time.Time
	cands := append(buf[:0], now)
	for _, loc := range locs {
		for days := -1; days <= 2; days++ {
			if t := s.Window.opening(now, loc, days); t.After(now) {
				cands = append(cands, t)
			}
		}
	}
	slices.SortFunc(cands, time.Time.Compare)
	for _, t := range cands {
		if s.openInAll(locs, t) {
			return t, true
		}
	}
	return time.Time{}, false
}

func (s *SendWindow) openInAll(locs []*time.Location, t time.Time) bool {
	for _, loc := range locs {
		if !s.Window.openAt(t, loc) {
			return false
		}
	}
	return true
}

// ClientZone is the single zone of p's number, for a client's own times
// (LATER 9AM): the number's zone if it has exactly one, else the fallback.
func (s *SendWindow) ClientZone(p Phone) *time.Location {
	if set := s.zoneSet(p); len(set.locs) == 1 {
		return set.locs[0]
	}
	return s.Fallback
}

// Zones are the zones p's number may be in (country and, for +1, area
// code), from libphonenumber's data; nil when the number tells none.
func (s *SendWindow) Zones(p Phone) []*time.Location {
	return slices.Clone(s.zoneSet(p).locs)
}

// zoneSet is one list of zones as the number data gives it, resolved once.
type zoneSet struct {
	names    []string
	locs     []*time.Location
	disjoint bool // the number tells no zone: use the fallback
	memo     atomic.Pointer[memo]
}

// zoneSet returns p's zones from the cache, resolving them on first use.
// The number lookup walks a prefix table without allocating; what costs
// (loading zones, comparing their windows) happens once per distinct set.
func (s *SendWindow) zoneSet(p Phone) *zoneSet {
	names, err := phonenumbers.GetTimezonesForPrefix(string(p))
	if err != nil || len(names) == 0 {
		names = []string{phonenumbers.UNKNOWN_TIMEZONE}
	}
	var cached []*zoneSet
	if v, ok := s.sets.Load(names[0]); ok {
		cached = v.([]*zoneSet)
		for _, z := range cached {
			if slices.Equal(z.names, names) {
				return z
			}
		}
	}
	z := s.resolve(p, names)
	s.sets.Store(names[0], append(slices.Clip(cached), z)) // a lost race only recomputes
	return z
}

// resolve loads the zones of names, the list p's number gave. The number
// tells no zone when there is none, when the list is its whole country's
// and that country has several (a +1 555 or 800 number could be anywhere
// from Guam to Newfoundland), or when the zones' windows never meet.
func (s *SendWindow) resolve(p Phone, names []string) *zoneSet {
	z := &zoneSet{names: slices.Clone(names)}
	for _, n := range names {
		if loc, err := time.LoadLocation(n); err == nil && n != phonenumbers.UNKNOWN_TIMEZONE {
			z.locs = append(z.locs, loc)
		}
	}
	multi := len(z.locs) > 1
	z.disjoint = len(z.locs) == 0 || multi && (countryWide(p, names) || !s.Window.Off() && !s.meets(z.locs))
	return z
}

// countryWide reports whether names is the zone list of p's whole country:
// the number data knew nothing more precise than its country code (one to
// three digits).
func countryWide(p Phone, names []string) bool {
	for k := 2; k <= 4 && k < len(p); k++ {
		cc, err := phonenumbers.GetTimezonesForPrefix(string(p[:k]))
		if err == nil && slices.Equal(cc, names) {
			return true
		}
	}
	return false
}

// meets reports whether the window is open in all of locs at once on some
// day, in winter or in summer: the windows, as arcs of the UTC day, share
// a point when their starts fit in an arc shorter than the window.
func (s *SendWindow) meets(locs []*time.Location) bool {
	length := s.Window.Close - s.Window.Open
	for _, at := range []time.Time{time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC), time.Date(2026, 7, 15, 12, 0, 0, 0, time.UTC)} {
		starts := make([]time.Duration, len(locs))
		for i, loc := range locs {
			_, off := at.In(loc).Zone()
			starts[i] = ((s.Window.Open-time.Duration(off)*time.Second)%day + day) % day
		}
		slices.Sort(starts)
		gap := starts[0] + day - starts[len(starts)-1]
		for i := 1; i < len(starts); i++ {
			gap = max(gap, starts[i]-starts[i-1])
		}
		if day-gap < length {
			return true
		}
	}
	return false
}

const day = 24 * time.Hour

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}
