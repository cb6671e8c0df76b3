package admin

import (
	"fmt"
	"html/template"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"nudges/bot"
	"nudges/store"
	"nudges/webhooks/webkit"
)

const dashboardDays = 30

// statusOrder lists client statuses in the order the console shows them.
var statusOrder = []bot.ClientStatus{bot.ClientActive, bot.ClientPending, bot.ClientPastDue, bot.ClientSuspended, bot.ClientCanceled}

// messageOrder lists per-message statuses in the order the console shows them.
var messageOrder = []bot.MessageStatus{bot.StatusQueued, bot.StatusSending, bot.StatusSent, bot.StatusDelivered,
	bot.StatusUndelivered, bot.StatusFailed, bot.StatusUnknown, bot.StatusSkipped, bot.StatusHalted}

type statusCount struct {
	Status string
	N      int
}

type dashboardView struct {
	S        *store.DashboardStats
	Clients  []statusCount
	Messages []statusCount
	Chart    template.HTML

	NoReceipts bool // the console SMS driver: no delivery receipt can arrive
	ToGo       int  // announcement messages queued or sending: a broadcast is under way
}

func (c *Console) dashboard(ec echo.Context) error {
	var s *store.DashboardStats
	err := c.db.Read(func(tx *store.Tx) error {
		var err error
		s, err = tx.Dashboard(c.cfg.Clock.Now(), dashboardDays)
		return err
	})
	if err != nil {
		return c.kit.Internal(ec, "dashboard", err)
	}
	v := dashboardView{S: s, Chart: webkit.GrowthChart(s.Growth), NoReceipts: c.cfg.DevMode}
	for _, st := range statusOrder {
		v.Clients = append(v.Clients, statusCount{string(st), s.ClientsByStatus[st]})
	}
	for _, st := range messageOrder {
		v.Messages = append(v.Messages, statusCount{string(st), s.Counts[st]})
	}
	for _, st := range []bot.MessageStatus{bot.StatusQueued, bot.StatusSending} {
		v.ToGo += s.Counts[st]
	}
	page := view{Title: "Dashboard", D: v}
	if v.ToGo > 0 {
		page.Refresh = refreshSeconds
	}
	return c.kit.Render(ec, http.StatusOK, "dashboard.html", page)
}

type clientsView struct {
	Rows   []store.ClientRow
	Squats []squat // keywords too close to a compliance word
	// RateOf is a number's effective rate (its own, else its kind's).
	RateOf func(*bot.OwnNumber) float64
}

// squat is a client whose keyword is one typo from an opt-out, opt-in or
// help word: a subscriber's mistyped STOP would join its list.
type squat struct {
	Name, Keyword, Word string
}

// squats lists the rows whose keyword breaks the keyword rule.
func (c *Console) squats(rows []store.ClientRow) []squat {
	if c.cfg.KeywordClash == nil {
		return nil
	}
	var out []squat
	for _, r := range rows {
		if w := c.cfg.KeywordClash(r.Keyword); w != "" {
			out = append(out, squat{Name: r.Name, Keyword: r.Keyword, Word: w})
		}
	}
	return out
}

func (c *Console) clientsPage(ec echo.Context) error {
	var rows []store.ClientRow
	err := c.db.Read(func(tx *store.Tx) error {
		var err error
		rows, err = tx.ClientRows()
		return err
	})
	if err != nil {
		return c.kit.Internal(ec, "clients", err)
	}
	notice, failure := c.kit.TakeFlash(ec)
	v := view{Title: "Clients", D: clientsView{Rows: rows, Squats: c.squats(rows), RateOf: c.rateOf}, Notice: notice, Error: failure}
	return c.kit.Render(ec, http.StatusOK, "clients.html", v)
}

// clientSuspend stops a client from broadcasting. Its billing standing
// moves to ResumeStatus, where Stripe's events keep it current.
func (c *Console) clientSuspend(ec echo.Context) error {
	return c.changeClient(ec, func(tx *store.Tx, cl *bot.Client) (string, error) {
		if cl.Status == bot.ClientSuspended {
			return cl.Name + " is already suspended.", nil
		}
		cl.ResumeStatus, cl.Status = cl.Status, bot.ClientSuspended
		return cl.Name + " is suspended: it cannot send announcements.", nil
	})
}

// clientResume gives a suspended client back its billing standing as
// Stripe left it; with none recorded, active while its paid period lasts,
// else pending.
func (c *Console) clientResume(ec echo.Context) error {
	now := c.cfg.Clock.Now()
	return c.changeClient(ec, func(tx *store.Tx, cl *bot.Client) (string, error) {
		if cl.Status != bot.ClientSuspended {
			return cl.Name + " is not suspended.", nil
		}
		prev := cl.ResumeStatus
		switch {
		case prev != "" && prev != bot.ClientSuspended:
			cl.Status = prev
		case cl.PeriodEnd.After(now):
			cl.Status = bot.ClientActive
		default:
			cl.Status = bot.ClientPending
		}
		cl.ResumeStatus = ""
		return fmt.Sprintf("%s is resumed (%s).", cl.Name, cl.Status), nil
	})
}

func (c *Console) changeClient(ec echo.Context, change func(*store.Tx, *bot.Client) (string, error)) error {
	p, err := bot.ParsePhone(ec.FormValue("phone"))
	if err != nil {
		return c.kit.Fail(ec, http.StatusBadRequest, bot.ErrorMessage(err))
	}
	var notice string
	found := false
	err = c.db.Write(func(tx *store.Tx) error {
		cl, err := tx.Client(p)
		if err != nil || cl == nil {
			return err
		}
		found = true
		if notice, err = change(tx, cl); err != nil {
			return err
		}
		return tx.PutClient(cl)
	})
	if err != nil {
		return c.kit.Internal(ec, "change client", err)
	}
	if !found {
		return c.kit.Fail(ec, http.StatusNotFound, "No client has the phone "+string(p)+".")
	}
	return c.kit.RedirectFlash(ec, "/admin/clients", notice, false)
}

type announcementRow struct {
	bot.Announcement
	Counts  []statusCount
	Sending bool
	Clicks  int // on its tracked links
}

// announcementsView is the announcements page: what is scheduled, then
// the latest announcements.
type announcementsView struct {
	Scheduled []bot.Scheduled
	Rows      []announcementRow
	Sending   int // announcements not yet settled
}

func (c *Console) announcementsPage(ec echo.Context) error {
	var as []bot.Announcement
	var v announcementsView
	clicks := map[uint64]int{}
	err := c.db.Read(func(tx *store.Tx) error {
		var err error
		if v.Scheduled, err = tx.UpcomingScheduled(100); err != nil {
			return err
		}
		if as, err = tx.RecentAnnouncements(100); err != nil {
			return err
		}
		for _, a := range as {
			if clicks[a.ID], err = tx.Clicks(a.Links); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return c.kit.Internal(ec, "announcements", err)
	}
	rows := make([]announcementRow, 0, len(as))
	sending, now := 0, c.cfg.Clock.Now()
	for _, a := range as {
		r := announcementRow{Announcement: a, Sending: a.Settled < a.Total, Clicks: clicks[a.ID], Counts: announcementCounts(&a, now)}
		if r.Sending {
			sending++
		}
		rows = append(rows, r)
	}
	v.Rows, v.Sending = rows, sending
	page := view{Title: "Announcements", D: v}
	if sending > 0 {
		page.Refresh = refreshSeconds
	}
	return c.kit.Render(ec, http.StatusOK, "announcements.html", page)
}

// announcementCounts are a's per-message counts as the console shows them:
// the rows the send window still holds apart from the queued ones, and the
// recipients a HALT dropped.
func announcementCounts(a *bot.Announcement, now time.Time) []statusCount {
	waiting := a.Waiting(now)
	return []statusCount{
		{string(bot.StatusQueued), a.Counts[bot.StatusQueued] + a.Counts[bot.StatusSending] - waiting},
		{"waiting for the send window", waiting},
		{string(bot.StatusSent), a.Counts[bot.StatusSent]},
		{string(bot.StatusDelivered), a.Counts[bot.StatusDelivered]},
		{string(bot.StatusFailed), a.Counts[bot.StatusFailed] + a.Counts[bot.StatusUndelivered]},
		{string(bot.StatusUnknown), a.Counts[bot.StatusUnknown]},
		{string(bot.StatusHalted), a.HaltedCount()},
	}
}

// refreshSeconds is how often a page showing a broadcast in progress reloads.
const refreshSeconds = 5
