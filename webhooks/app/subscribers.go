package app

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"nudges/bot"
	"nudges/store"
	"nudges/webhooks/webkit"
)

// subscribersPage is how many phones one page of the list shows.
const subscribersPage = 50

// subscribersView is the data of the Subscribers page: one page of the
// signed-in client's own list, never another list's members.
type subscribersView struct {
	Client   *bot.Client
	Q        string
	Searched string // "+1555", the start of the phones shown, when searching
	Rows     []subscriberRow
	Next     string // the next page's link, "" on the last
	Paged    bool   // not the first page
}

// subscriberRow is one phone of the list as the page shows it.
type subscriberRow struct {
	Phone    bot.Phone
	Joined   string
	Source   string
	Language string
}

// subscribers shows client c's list, a page at a time from a cursor (the
// last phone shown), optionally only the phones starting with a search's
// digits. A client sees its subscribers' phones here as its CSV export
// shows them; the search runs over its own list only.
func (d *Dashboard) subscribers(ec echo.Context, c *bot.Client) error {
	v := subscribersView{Client: c, Q: strings.TrimSpace(ec.QueryParam("q"))}
	after, ok := decodeCursor(ec.QueryParam("after"))
	if !ok {
		return d.kit.Fail(ec, http.StatusBadRequest, "That page link is not valid: start from the first page.")
	}
	v.Paged = after != ""
	prefix, alt, ok := bot.PhoneSearch(v.Q)
	if v.Q != "" && !ok {
		return d.renderSubscribers(ec, c, v, "Search by phone number: its first digits, like +1555 or 555 222 0001.")
	}
	err := d.db.Read(func(tx *store.Tx) error {
		if alt != "" {
			if first, err := tx.ListSearch(c.Keyword, prefix, "", 1); err != nil || len(first) == 0 {
				prefix = alt // no phone starts with the digits as typed: read them as a +1 number's
			}
		}
		rows, err := tx.ListSearch(c.Keyword, prefix, after, subscribersPage+1)
		v.fill(rows, prefix)
		return err
	})
	if err != nil {
		return d.kit.Internal(ec, "subscribers", err)
	}
	return d.renderSubscribers(ec, c, v, "")
}

// fill puts rows (one more than a page when there is a next) into v.
func (v *subscribersView) fill(rows []store.ListRow, prefix string) {
	if v.Q != "" {
		v.Searched = "+" + prefix
	}
	if len(rows) > subscribersPage {
		rows = rows[:subscribersPage]
		q := url.Values{"after": {encodeCursor(rows[len(rows)-1].Phone)}}
		if v.Q != "" {
			q.Set("q", v.Q)
		}
		v.Next = "/app/subscribers?" + q.Encode()
	}
	for _, r := range rows {
		row := subscriberRow{Phone: r.Phone, Joined: r.JoinedAt.UTC().Format("2 Jan 2006"), Source: bot.SourceKind(r.Source), Language: r.Locale}
		if row.Source == "" {
			row.Source = "—"
		}
		v.Rows = append(v.Rows, row)
	}
}

func (d *Dashboard) renderSubscribers(ec echo.Context, c *bot.Client, v subscribersView, failure string) error {
	return d.renderPage(ec, c, pageRef{"subscribers.html", "Subscribers", "subscribers"}, v, failure)
}

// pageRef names a page's template, title and menu entry.
type pageRef struct{ file, title, nav string }

// renderPage is render for a page under another's menu entry, or one
// answering a form with what is wrong (400, failure shown).
func (d *Dashboard) renderPage(ec echo.Context, c *bot.Client, p pageRef, data any, failure string) error {
	v := webkit.View{Title: p.title, Nav: p.nav, D: data, Layout: layout{Client: c, Nav: d.nav}}
	v.Notice, v.Error = d.kit.TakeFlash(ec)
	status := http.StatusOK
	if failure != "" {
		v.Error, status = failure, http.StatusBadRequest
	}
	return d.kit.Render(ec, status, p.file, v)
}

// subscribersCSV downloads client c's whole list (the columns the import
// reads), every cell guarded against spreadsheet formulas.
func (d *Dashboard) subscribersCSV(ec echo.Context, c *bot.Client) error {
	n := webkit.WriteList(ec, d.db, c.Keyword, webkit.ListFile(c.Keyword, d.cfg.Web.Clock.Now()), d.log())
	d.log().Info("dashboard: list downloaded", "keyword", c.Keyword, "rows", n)
	return nil
}

// A page cursor is the last phone shown, base64 so a link stays tidy.
func encodeCursor(p bot.Phone) string { return base64.RawURLEncoding.EncodeToString([]byte(p)) }

func decodeCursor(s string) (bot.Phone, bool) {
	if s == "" {
		return "", true
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 20 {
		return "", false
	}
	p, err := bot.ParsePhone(string(b))
	return p, err == nil && string(p) == string(b)
}
