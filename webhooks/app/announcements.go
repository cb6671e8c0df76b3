package app

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"nudges/bot"
	"nudges/flows"
	"nudges/store"
	"nudges/webhooks/webkit"
)

// historyPage is how many announcements a page of the history lists.
const historyPage = 20

// sendStates are the client states that may write, halt or cancel an
// announcement: the states CONFIRM sends in.
var sendStates = []bot.ClientStatus{bot.ClientActive}

// announcementsView is the data of the Announcements page.
type announcementsView struct {
	Zone      string   // the client's time zone, scheduled times are shown in
	Scheduled []annRow // every scheduled one, soonest first
	History   []annRow // this page of the sent ones, newest first
	Next      uint64   // the next page's cursor, 0 at the end
	Paged     bool     // this is not the first page
	CanSend   bool     // the client's state lets it write, halt and cancel
}

// announcements lists client c's scheduled announcements and a page of
// the sent ones with their counts, clicks and replies.
func (d *Dashboard) announcements(ec echo.Context, c *bot.Client) error {
	before, _ := strconv.ParseUint(ec.QueryParam("before"), 10, 64) // anything else: the newest
	list, next, err := d.cfg.Service.List(c.Phone, before, historyPage)
	if err != nil {
		return d.kit.Internal(ec, "list announcements", err)
	}
	v := announcementsView{Zone: d.zone(c), Next: next, Paged: before != 0, CanSend: mayAct(c)}
	for _, a := range list {
		if a.State != flows.StateScheduled { // those are listed above the history
			v.History = append(v.History, rowOf(a))
		}
	}
	if v.Scheduled, err = d.scheduled(c.Phone); err != nil {
		return d.kit.Internal(ec, "scheduled announcements", err)
	}
	return d.kit.Render(ec, http.StatusOK, "announcements.html", d.annView(ec, c, "Announcements", v))
}

// scheduled is every announcement client p has scheduled, soonest first
// (a client has at most its quota of them).
func (d *Dashboard) scheduled(p bot.Phone) ([]annRow, error) {
	var ids []uint64
	err := d.db.Read(func(tx *store.Tx) error {
		list, err := tx.ScheduledOf(p)
		for _, s := range list {
			if s.Announcement != 0 {
				ids = append(ids, s.Announcement)
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	var out []annRow
	for _, id := range ids {
		a, err := d.cfg.Service.Get(p, id)
		switch {
		case bot.ErrorCode(err) == bot.ENOTFOUND: // it went out meanwhile
		case err != nil:
			return nil, err
		case a.State == flows.StateScheduled:
			out = append(out, rowOf(*a))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SendAt.Before(out[j].SendAt) })
	return out, nil
}

// snippetLen is how many characters of a text the list shows.
const snippetLen = 140

// annRow is an announcement as the list shows it.
type annRow struct {
	flows.Announcement
	Snippet string // the text's start
}

func rowOf(a flows.Announcement) annRow {
	r := annRow{Announcement: a, Snippet: a.Text}
	if runes := []rune(a.Text); len(runes) > snippetLen {
		r.Snippet = strings.TrimSpace(string(runes[:snippetLen-1])) + "…"
	}
	return r
}

// detailView is the data of one announcement's page.
type detailView struct {
	A       *flows.Announcement
	Zone    string
	CanSend bool
}

// announcement is the page of client c's announcement :id; any other
// client's id is not found.
func (d *Dashboard) announcement(ec echo.Context, c *bot.Client) error {
	id, ok := announcementID(ec)
	if !ok {
		return d.kit.NotFound(ec)
	}
	a, err := d.cfg.Service.Get(c.Phone, id)
	if err != nil {
		return d.annFail(ec, "announcement", err)
	}
	v := d.annView(ec, c, fmt.Sprintf("Announcement %d", a.ID), detailView{A: a, Zone: d.zone(c), CanSend: mayAct(c)})
	if a.State == flows.StateSending {
		v.Refresh = 15 // the counts move while it goes out
	}
	return d.kit.Render(ec, http.StatusOK, "announcements_detail.html", v)
}

// halt stops client c's announcement :id while it goes out (HALT).
func (d *Dashboard) halt(ec echo.Context, c *bot.Client) error {
	return d.act(ec, c, d.cfg.Service.Halt, func(a *flows.Announcement) (string, string) {
		return fmt.Sprintf("/app/announcements/%d", a.ID),
			fmt.Sprintf("Halted: %d not sent yet were dropped.", a.Counts.Halted)
	})
}

// cancel takes client c's announcement :id off the schedule (UNSCHEDULE).
func (d *Dashboard) cancel(ec echo.Context, c *bot.Client) error {
	return d.act(ec, c, d.cfg.Service.Cancel, func(a *flows.Announcement) (string, string) {
		return "/app/announcements", fmt.Sprintf("Announcement %d is canceled: it will not be sent, and it counts no more this period.", a.ID)
	})
}

// act runs op on client c's announcement :id and goes to the page done
// names with its notice; a refusal goes back to the announcement's page
// with the reason.
func (d *Dashboard) act(ec echo.Context, c *bot.Client, op func(bot.Phone, uint64) (*flows.Announcement, error),
	done func(*flows.Announcement) (path, notice string)) error {
	id, ok := announcementID(ec)
	if !ok {
		return d.kit.NotFound(ec)
	}
	a, err := op(c.Phone, id)
	var r *flows.Refused
	if errors.As(err, &r) {
		return d.kit.RedirectFlash(ec, fmt.Sprintf("/app/announcements/%d", id), say(r), true)
	}
	if err != nil {
		return d.annFail(ec, "announcement "+ec.Param("id"), err)
	}
	path, notice := done(a)
	return d.kit.RedirectFlash(ec, path, notice, false)
}

// announcementID reads the :id of the path.
func announcementID(ec echo.Context) (uint64, bool) {
	id, err := strconv.ParseUint(ec.Param("id"), 10, 64)
	return id, err == nil && id != 0
}

// annFail answers an error of the Service that is no refusal: another
// client's id (or none) is not found, anything else is logged.
func (d *Dashboard) annFail(ec echo.Context, what string, err error) error {
	if bot.ErrorCode(err) == bot.ENOTFOUND {
		return d.kit.NotFound(ec)
	}
	return d.kit.Internal(ec, what, err)
}

// say is a refusal of the Service in the dashboard's words: the client is
// "you", and a time is the one on the form.
func say(r *flows.Refused) string {
	switch r.Reason {
	case flows.ReasonSendAt:
		return fmt.Sprintf("The time to send must be in the future and within %d days.", int(flows.MaxSchedule.Hours()/24))
	case flows.ReasonNotActive:
		return strings.Replace(r.Message, "The client's", "Your", 1)
	}
	return r.Message
}

// mayAct reports whether client c's state lets it write, halt and cancel.
func mayAct(c *bot.Client) bool { return slices.Contains(sendStates, c.Status) }

// zone is the name of the time zone client c's times are read in.
func (d *Dashboard) zone(c *bot.Client) string { return d.cfg.Service.Zone(c.Phone).String() }

// annView is an announcements page's view: the Announcements menu entry
// lit, the flash taken.
func (d *Dashboard) annView(ec echo.Context, c *bot.Client, title string, data any) webkit.View {
	v := webkit.View{Title: title, Nav: "announcements", D: data, Layout: layout{Client: c, Nav: d.nav}}
	v.Notice, v.Error = d.kit.TakeFlash(ec)
	return v
}
