package admin

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"nudges/bot"
	"nudges/store"
	"nudges/webhooks/webkit"
)

// pageSize is how many phones one page of the subscriber list shows.
const pageSize = 50

type subscribersView struct {
	Q, List  string
	Lists    []string // every client's keyword, for the filter
	Rows     []store.PhoneRow
	Total    int
	Page     int
	Pages    int
	From, To int // 1-based positions of the rows shown
	Prev     string
	Next     string
}

func (c *Console) subscribersPage(ec echo.Context) error {
	q := strings.TrimSpace(ec.QueryParam("q"))
	list := strings.ToUpper(strings.TrimSpace(ec.QueryParam("list")))
	page, _ := strconv.Atoi(ec.QueryParam("page"))
	page = max(page, 1)
	v := subscribersView{Q: q, List: list, Page: page}
	prefix, alt, _ := bot.PhoneSearch(q)
	err := c.db.Read(func(tx *store.Tx) error {
		if err := tx.EachClient(func(cl *bot.Client) error { v.Lists = append(v.Lists, cl.Keyword); return nil }); err != nil {
			return err
		}
		if q != "" && prefix == "" {
			return nil
		}
		var err error
		prefix, err = v.search(tx, prefix, alt, list)
		return err
	})
	if err != nil {
		return c.kit.Internal(ec, "search phones", err)
	}
	pv := view{Title: "Subscribers", D: &v}
	if q != "" && prefix == "" {
		pv.Error = "Search by phone number: its first digits, like +1555 or 555 222 0001."
	}
	if prefix != "" && prefix != bot.DigitsOf(q) {
		pv.Notice = "Phones starting +" + prefix + "."
	}
	v.paginate()
	return c.kit.Render(ec, http.StatusOK, "subscribers.html", pv)
}

// search fills v's rows and total for the phones starting with prefix, or
// with alt when none does (bot.PhoneSearch). A page past the last shows
// the last. It returns the prefix searched.
func (v *subscribersView) search(tx *store.Tx, prefix, alt, list string) (string, error) {
	query := store.PhoneQuery{Prefix: prefix, Keyword: list, Offset: (v.Page - 1) * pageSize, Limit: pageSize}
	rows, total, err := tx.PhonePage(query)
	if err == nil && total == 0 && alt != "" {
		query.Prefix = alt
		rows, total, err = tx.PhonePage(query)
	}
	if err == nil && len(rows) == 0 && total > 0 && v.Page > 1 {
		v.Page = (total + pageSize - 1) / pageSize
		query.Offset = (v.Page - 1) * pageSize
		rows, total, err = tx.PhonePage(query)
	}
	v.Rows, v.Total = rows, total
	return query.Prefix, err
}

// paginate fills the page numbers and the links to the pages around.
func (v *subscribersView) paginate() {
	v.Pages = max((v.Total+pageSize-1)/pageSize, 1)
	if len(v.Rows) > 0 {
		v.From = (v.Page-1)*pageSize + 1
		v.To = v.From + len(v.Rows) - 1
	}
	link := func(page int) string {
		q := url.Values{}
		if v.Q != "" {
			q.Set("q", v.Q)
		}
		if v.List != "" {
			q.Set("list", v.List)
		}
		q.Set("page", strconv.Itoa(page))
		return "/admin/subscribers?" + q.Encode()
	}
	if v.Page > 1 {
		v.Prev = link(min(v.Page-1, v.Pages))
	}
	if v.Page < v.Pages {
		v.Next = link(v.Page + 1)
	}
}

type subscriberView struct {
	Conv   *bot.Conversation
	Client *bot.Client
	Subs   []bot.Subscription
	Log    []bot.LogEntry // newest first, one page
	Older  string         // the next page's cursor, "" on the last page
	Paged  bool           // not the newest page
}

// logPage is how many conversation log entries a subscriber's page shows.
const logPage = 50

func (c *Console) subscriberPage(ec echo.Context) error {
	raw, _ := url.PathUnescape(ec.Param("phone"))
	p, err := bot.ParsePhone(raw)
	if err != nil {
		return c.kit.Fail(ec, http.StatusBadRequest, bot.ErrorMessage(err))
	}
	var v subscriberView
	err = c.db.Read(func(tx *store.Tx) error {
		var err error
		if v.Conv, err = tx.Conversation(p); err != nil {
			return err
		}
		if v.Client, err = tx.Client(p); err != nil {
			return err
		}
		if v.Subs, err = tx.SubscriptionsOf(p); err != nil {
			return err
		}
		v.Log, v.Older, err = tx.LogPage(p, ec.QueryParam("before"), logPage)
		return err
	})
	if errors.Is(err, store.ErrBadCursor) {
		return c.kit.Fail(ec, http.StatusBadRequest, "That page link is not valid: start from the newest messages.")
	}
	if err != nil {
		return c.kit.Internal(ec, "subscriber", err)
	}
	v.Paged = ec.QueryParam("before") != ""
	if v.Conv.FirstSeen.IsZero() && len(v.Log) == 0 && v.Client == nil && len(v.Subs) == 0 {
		return c.kit.Fail(ec, http.StatusNotFound, "The service has never heard from "+string(p)+".")
	}
	notice, failure := c.kit.TakeFlash(ec)
	return c.kit.Render(ec, http.StatusOK, "subscriber.html", view{Title: string(p), Nav: "subscribers", D: v, Notice: notice, Error: failure})
}

// subscriberErase removes the phone's conversation, log and lists, keeping
// it opted out by a keyed hash (store.DB.Erase). A client's phone is not
// erased: its list and billing hang on it.
func (c *Console) subscriberErase(ec echo.Context) error {
	raw, _ := url.PathUnescape(ec.Param("phone"))
	p, err := bot.ParsePhone(raw)
	if err != nil {
		return c.kit.Fail(ec, http.StatusBadRequest, bot.ErrorMessage(err))
	}
	if ec.FormValue("confirm") != "yes" {
		return c.kit.RedirectFlash(ec, phonePath(p), "Tick the box to confirm the erase: it cannot be undone.", true)
	}
	err = c.db.Update(func(tx bot.Tx) error { return bot.CancelPaidBeforeErase(tx, p, c.cfg.Clock.Now()) })
	if err != nil {
		return c.kit.Internal(ec, "erase", err)
	}
	erased, err := c.db.Erase(p)
	if err != nil {
		return c.kit.Internal(ec, "erase", err)
	}
	isClient := !erased
	if isClient {
		return c.kit.RedirectFlash(ec, phonePath(p), fmt.Sprintf("%s is a client's phone: suspend the client instead.", p), true)
	}
	c.log.Info("console: phone erased", "by", webkit.Who(ec))
	return c.kit.RedirectFlash(ec, "/admin/subscribers", "Erased. The phone stays opted out; its number is kept only as a keyed hash.", false)
}

func phonePath(p bot.Phone) string { return "/admin/subscribers/" + url.PathEscape(string(p)) }
