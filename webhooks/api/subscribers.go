package api

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"nudges/bot"
	"nudges/flows"
)

// Page sizes of a subscriber list.
const (
	defaultLimit = 50
	maxLimit     = 500
)

// subscriber is a list member as the API shows it.
type subscriber struct {
	Object   string `json:"object"`
	Phone    string `json:"phone"`
	List     string `json:"list"`
	JoinedAt string `json:"joined_at"`
	Source   string `json:"source,omitempty"`
}

func subscriberOf(s bot.Subscription) subscriber {
	return subscriber{Object: "subscriber", Phone: string(s.Phone), List: s.Keyword, JoinedAt: utc(s.JoinedAt), Source: s.Source}
}

// page is one page of a list of T, with the link to the next one (nil
// on the last page).
type page[T any] struct {
	Object string  `json:"object"`
	Data   []T     `json:"data"`
	Next   *string `json:"next"`
}

// pageOf is data as a page of resource on list kw; cursor "" makes it the
// last page, else its next link carries the cursor, the limit and, for an
// admin key, the list.
func pageOf[T any](c echo.Context, resource, kw string, limit int, data []T, cursor string) page[T] {
	p := page[T]{Object: "list", Data: data}
	if p.Data == nil {
		p.Data = []T{}
	}
	if cursor != "" {
		q := url.Values{"limit": {strconv.Itoa(limit)}, "cursor": {cursor}}
		if keyOf(c).IsAdmin() {
			q.Set("list", kw)
		}
		next := Prefix + resource + "?" + q.Encode()
		p.Next = &next
	}
	return p
}

// listPage answers a GET of a list's resource: the list and the page size
// from the query, the cursor read by parse, one page of items fetched by
// fetch (with the next page's cursor, "" on the last) and each item shown
// by show.
func listPage[C, T, R any](a *API, c echo.Context, resource string, parse func(string) (C, error),
	fetch func(client bot.Phone, cursor C, limit int) ([]T, string, error), show func(kw string, item *T) R) error {
	kw, client, err := a.client(c, c.QueryParam("list"))
	if err != nil {
		return fail(c, err)
	}
	limit, err := pageLimit(c)
	if err != nil {
		return fail(c, err)
	}
	cur, err := parse(c.QueryParam("cursor"))
	if err != nil {
		return fail(c, err)
	}
	items, next, err := fetch(client, cur, limit)
	if err != nil {
		return fail(c, err)
	}
	data := make([]R, 0, len(items))
	for i := range items {
		data = append(data, show(kw, &items[i]))
	}
	return c.JSON(http.StatusOK, pageOf(c, resource, kw, limit, data, next))
}

func (a *API) listSubscribers(c echo.Context) error {
	kw, err := a.list(c, c.QueryParam("list"))
	if err != nil {
		return fail(c, err)
	}
	limit, after, err := paging(c)
	if err != nil {
		return fail(c, err)
	}
	var subs []bot.Subscription
	err = a.st.View(func(tx bot.Tx) error {
		subs, _, err = tx.AudiencePage(kw, after, limit+1)
		return err
	})
	if err != nil {
		return fail(c, err)
	}
	cursor := ""
	if len(subs) > limit {
		subs = subs[:limit]
		cursor = base64.RawURLEncoding.EncodeToString([]byte(subs[limit-1].Phone))
	}
	data := make([]subscriber, 0, len(subs))
	for _, s := range subs {
		data = append(data, subscriberOf(s))
	}
	return c.JSON(http.StatusOK, pageOf(c, "subscribers", kw, limit, data, cursor))
}

func paging(c echo.Context) (int, bot.Phone, error) {
	limit := defaultLimit
	if s := c.QueryParam("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxLimit {
			return 0, "", bot.Errorf(bot.EINVALID, "limit is a number from 1 to %d.", maxLimit)
		}
		limit = n
	}
	cur, err := base64.RawURLEncoding.DecodeString(c.QueryParam("cursor"))
	if err != nil || len(cur) > 16 || (len(cur) > 0 && cur[0] != '+') {
		return 0, "", bot.Errorf(bot.EINVALID, "cursor is not one this API gave.")
	}
	return limit, bot.Phone(cur), nil
}

// newSubscriber is the body of POST /subscribers.
type newSubscriber struct {
	Phone   string `json:"phone"`
	List    string `json:"list"`
	Consent *struct {
		Source string    `json:"source"`
		Time   time.Time `json:"time"`
		Text   string    `json:"text"`
	} `json:"consent"`
}

func (a *API) addSubscriber(c echo.Context) error {
	var in newSubscriber
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return problem(c, http.StatusBadRequest, KindMalformed, "The body is not a subscriber object: "+clip(err.Error()))
	}
	kw, err := a.list(c, in.List)
	if err != nil {
		return fail(c, err)
	}
	p, err := parsePhone(in.Phone)
	if err != nil {
		return fail(c, err)
	}
	if in.Consent == nil {
		return fail(c, bot.Errorf(bot.EINVALID, "consent is required: {source, time, text}."))
	}
	k := keyOf(c)
	consent := bot.Consent{Source: in.Consent.Source, At: in.Consent.Time, Text: in.Consent.Text}
	added, err := bot.AddSubscriber(a.st, a.clock.Now(), kw, p, consent, k.ID, k.Admin)
	if errors.Is(err, bot.ErrNotJoinable) {
		return problem(c, http.StatusConflict, string(flows.ReasonNotActive), bot.ErrorMessage(bot.ErrNotJoinable))
	}
	if bot.ErrorCode(err) == bot.ECONFLICT {
		return problem(c, http.StatusConflict, KindOptedOut, bot.ErrorMessage(err))
	}
	if err != nil {
		return fail(c, err)
	}
	s, err := a.subscription(kw, p)
	if err != nil {
		return fail(c, err)
	}
	status := http.StatusOK
	if added {
		status = http.StatusCreated
	}
	return c.JSON(status, subscriberOf(*s))
}

func (a *API) getSubscriber(c echo.Context) error {
	kw, p, err := a.target(c)
	if err != nil {
		return fail(c, err)
	}
	s, err := a.subscription(kw, p)
	if err != nil {
		return fail(c, err)
	}
	return c.JSON(http.StatusOK, subscriberOf(*s))
}

func (a *API) removeSubscriber(c echo.Context) error {
	kw, p, err := a.target(c)
	if err != nil {
		return fail(c, err)
	}
	if err := bot.RemoveSubscriber(a.st, a.clock.Now(), kw, p, keyOf(c).ID); err != nil {
		return fail(c, err)
	}
	return c.NoContent(http.StatusNoContent)
}

// target is the list and phone a /subscribers/{phone} request names.
func (a *API) target(c echo.Context) (string, bot.Phone, error) {
	kw, err := a.list(c, c.QueryParam("list"))
	if err != nil {
		return "", "", err
	}
	raw, err := url.PathUnescape(c.Param("phone"))
	if err != nil {
		return "", "", bot.Errorf(bot.EINVALID, "The phone in the path is not escaped right.")
	}
	p, err := parsePhone(raw)
	return kw, p, err
}

// subscription is p on kw's list, or an ENOTFOUND error.
func (a *API) subscription(kw string, p bot.Phone) (*bot.Subscription, error) {
	var s *bot.Subscription
	err := a.st.View(func(tx bot.Tx) error {
		var err error
		s, err = bot.SubscriptionOn(tx, kw, p)
		return err
	})
	if err == nil && s == nil {
		err = bot.Errorf(bot.ENOTFOUND, "%s is not on the list.", p)
	}
	return s, err
}

// list is the keyword of the list a request acts on: a client key's own
// (a list named must be it, or the request is answered 404 as if no such
// list existed); for an admin key, the one named.
func (a *API) list(c echo.Context, named string) (string, error) {
	k := keyOf(c)
	named = strings.ToUpper(strings.TrimSpace(named))
	if len(named) > 40 {
		return "", bot.Errorf(bot.ENOTFOUND, "No such list.")
	}
	var kw string
	err := a.st.View(func(tx bot.Tx) error {
		if k.IsAdmin() {
			if named == "" {
				return bot.Errorf(bot.EINVALID, "An admin key names the list: list=KEYWORD.")
			}
			cl, err := tx.ClientByKeyword(named)
			if err == nil && cl != nil {
				kw = cl.Keyword
			}
			return err
		}
		cl, err := tx.Client(k.Client)
		if err == nil && cl != nil && (named == "" || named == cl.Keyword) {
			kw = cl.Keyword
		}
		return err
	})
	if err == nil && kw == "" {
		err = bot.Errorf(bot.ENOTFOUND, "No such list.")
	}
	return kw, err
}

func parsePhone(s string) (bot.Phone, error) {
	if len(s) > 40 {
		return "", bot.Errorf(bot.EINVALID, "phone is not a phone number.")
	}
	p, err := bot.ParsePhone(s)
	if err != nil {
		return "", bot.Errorf(bot.EINVALID, "phone: %s", bot.ErrorMessage(err))
	}
	return p, nil
}

// clip shortens a decoder's message, which may quote the body.
func clip(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}
