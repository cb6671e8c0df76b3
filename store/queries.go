package store

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"nudges/bot"
)

// Read models for the console. They scan buckets: the console is used by a
// few operators, and a scan keeps every number exactly in step with the data.

// DayCount is one day of the subscriber-growth series.
type DayCount struct {
	Day    time.Time // midnight UTC
	Joined int       // memberships that started that day (and still exist)
	Total  int       // memberships at the end of that day
}

// DashboardStats are the dashboard's numbers.
type DashboardStats struct {
	Subscribers     int // distinct phones on at least one list
	Subscriptions   int // list memberships
	Phones          int // phones the service has heard from
	OptedOut        int
	ClientsByStatus map[bot.ClientStatus]int
	Clients         int
	Announcements   int                       // confirmed in the window
	Counts          map[bot.MessageStatus]int // their messages by status
	Messages        int                       // their messages in all
	Growth          []DayCount                // one per day, oldest first, ending today
}

// DeliveryRate is delivered messages over messages that left the outbox
// (sent, delivered, undelivered, failed, unknown), in percent; -1 when none did.
func (s *DashboardStats) DeliveryRate() float64 {
	out := 0
	for _, st := range []bot.MessageStatus{bot.StatusSent, bot.StatusDelivered, bot.StatusUndelivered, bot.StatusFailed, bot.StatusUnknown} {
		out += s.Counts[st]
	}
	if out == 0 {
		return -1
	}
	return 100 * float64(s.Counts[bot.StatusDelivered]) / float64(out)
}

// Dashboard computes the dashboard over the days ending with now's day.
func (t *Tx) Dashboard(now time.Time, days int) (*DashboardStats, error) {
	s := &DashboardStats{ClientsByStatus: map[bot.ClientStatus]int{}, Counts: map[bot.MessageStatus]int{}}
	err := t.EachClient(func(c *bot.Client) error {
		s.ClientsByStatus[c.Status]++
		s.Clients++
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := t.countPhones(s); err != nil {
		return nil, err
	}
	if err := t.growth(s, now, days); err != nil {
		return nil, err
	}
	since := dayOf(now).AddDate(0, 0, 1-days)
	err = t.eachAnnouncementBackward(func(a *bot.Announcement) (bool, error) {
		if a.CreatedAt.Before(since) {
			return false, nil
		}
		s.Announcements++
		s.Messages += a.Total
		for st, n := range a.Counts {
			s.Counts[st] += n
		}
		return true, nil
	})
	return s, err
}

func (t *Tx) countPhones(s *DashboardStats) error {
	err := t.b(bConversations).ForEach(func(k, v []byte) error {
		s.Phones++
		var c struct {
			OptedOut bool `json:"opted_out"`
		}
		if err := jsonDecode(v, &c); err != nil {
			return fmt.Errorf("decode conversation %s: %w", k, err)
		}
		if c.OptedOut {
			s.OptedOut++
		}
		return nil
	})
	if err != nil {
		return err
	}
	last := ""
	return t.b(bPhoneSubs).ForEach(func(k, _ []byte) error {
		phone, _, _ := strings.Cut(string(k), "\x00")
		if phone != last {
			s.Subscribers++
			last = phone
		}
		return nil
	})
}

func (t *Tx) growth(s *DashboardStats, now time.Time, days int) error {
	g := newGrowth(now, days)
	err := t.b(bSubs).ForEach(func(k, v []byte) error {
		s.Subscriptions++
		return g.add(k, v)
	})
	s.Growth = g.series()
	return err
}

// ListGrowth is the growth series of keyword's list over the days ending
// with now's day: its members' joins, one count per day, oldest first. It
// reads the whole list, as the console's series reads every list.
func (t *Tx) ListGrowth(keyword string, now time.Time, days int) ([]DayCount, error) {
	g := newGrowth(now, days)
	prefix := pair(keyword, "")
	cur := t.b(bSubs).Cursor()
	for k, v := cur.Seek(prefix); k != nil && hasPrefix(k, prefix); k, v = cur.Next() {
		if err := g.add(k, v); err != nil {
			return nil, err
		}
	}
	return g.series(), nil
}

// growthSeries counts memberships by the day they began.
type growthSeries struct {
	first  time.Time
	days   []DayCount
	before int // memberships older than the first day
}

func newGrowth(now time.Time, days int) *growthSeries {
	g := &growthSeries{first: dayOf(now).AddDate(0, 0, 1-days), days: make([]DayCount, days)}
	for i := range g.days {
		g.days[i].Day = g.first.AddDate(0, 0, i)
	}
	return g
}

// add counts the subscription stored under k as v.
func (g *growthSeries) add(k, v []byte) error {
	var sub bot.Subscription
	if err := jsonDecode(v, &sub); err != nil {
		return fmt.Errorf("decode subscription %q: %w", k, err)
	}
	i := int(dayOf(sub.JoinedAt).Sub(g.first) / (24 * time.Hour))
	switch {
	case i < 0:
		g.before++
	case i < len(g.days):
		g.days[i].Joined++
	}
	return nil
}

// series fills in the running totals.
func (g *growthSeries) series() []DayCount {
	total := g.before
	for i := range g.days {
		total += g.days[i].Joined
		g.days[i].Total = total
	}
	return g.days
}

func dayOf(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// eachAnnouncementBackward calls fn newest first until it returns false.
func (t *Tx) eachAnnouncementBackward(fn func(*bot.Announcement) (bool, error)) error {
	cur := t.b(bAnnouncements).Cursor()
	for k, v := cur.Last(); k != nil; k, v = cur.Prev() {
		a := &bot.Announcement{}
		if err := jsonDecode(v, a); err != nil {
			return fmt.Errorf("decode announcement %d: %w", btoi(k), err)
		}
		more, err := fn(a)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// RecentAnnouncements returns up to limit announcements, newest first.
func (t *Tx) RecentAnnouncements(limit int) ([]bot.Announcement, error) {
	var out []bot.Announcement
	err := t.eachAnnouncementBackward(func(a *bot.Announcement) (bool, error) {
		out = append(out, *a)
		return len(out) < limit, nil
	})
	return out, err
}

// ClientRow is one line of the console's client list.
type ClientRow struct {
	bot.Client
	PlanName  string
	Quota     int  // the plan's announcements per period
	Simulated bool // signed up through the console simulator
}

// ClientRows returns every client with its plan's name, by name.
func (t *Tx) ClientRows() ([]ClientRow, error) {
	plans := map[uint64]bot.Plan{}
	ps, err := t.Plans()
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		plans[p.ID] = p
	}
	var out []ClientRow
	counts := t.subscriberCounts()
	err = t.EachClient(func(c *bot.Client) error {
		c.Subscribers = counts[c.Keyword]
		conv, err := t.Conversation(c.Phone)
		if err != nil {
			return err
		}
		row := ClientRow{Client: *c, Simulated: conv.Simulated}
		if p, ok := plans[c.PlanID]; ok {
			row.PlanName, row.Quota = p.Name, p.Quota
		}
		out = append(out, row)
		return nil
	})
	sort.SliceStable(out, func(i, j int) bool {
		return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name)
	})
	return out, err
}

// PhoneRow is one phone in a subscriber search.
type PhoneRow struct {
	bot.Conversation
	Lists []string // keywords it is on
}

// RecentOutboxTo returns up to limit of the newest outbound messages to p,
// newest first, looking at no more than the scan newest messages overall.
func (t *Tx) RecentOutboxTo(p bot.Phone, limit, scan int) ([]bot.OutMessage, error) {
	var out []bot.OutMessage
	cur := t.b(bOutbox).Cursor()
	seen := 0
	for k, v := cur.Last(); k != nil && seen < scan && len(out) < limit; k, v = cur.Prev() {
		seen++
		var m bot.OutMessage
		if err := jsonDecode(v, &m); err != nil {
			return nil, fmt.Errorf("decode outbound %d: %w", btoi(k), err)
		}
		if m.To == p {
			out = append(out, m)
		}
	}
	return out, nil
}

// PlanByName returns the plan named name (case-insensitive), or nil.
func (t *Tx) PlanByName(name string) (*bot.Plan, error) {
	ps, err := t.Plans()
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		if strings.EqualFold(p.Name, name) {
			return &p, nil
		}
	}
	return nil, nil
}
