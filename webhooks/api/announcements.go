package api

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"nudges/bot"
	"nudges/flows"
)

// maxPictureURL bounds a picture_url.
const maxPictureURL = 2048

// announcement is an announcement as the API shows it.
type announcement struct {
	Object      string       `json:"object"`
	ID          uint64       `json:"id"`
	List        string       `json:"list"`
	Status      string       `json:"status"`
	Text        string       `json:"text"`
	PictureURL  string       `json:"picture_url,omitempty"`
	CreatedAt   string       `json:"created_at"`
	SendAt      string       `json:"send_at,omitempty"`
	CompletedAt string       `json:"completed_at,omitempty"`
	Recipients  int          `json:"recipients"`
	SendingNow  *int         `json:"sending_now,omitempty"`
	Waiting     *int         `json:"waiting_for_window,omitempty"`
	Counts      counts       `json:"counts"`
	Links       []linkClicks `json:"links"`
	Replies     int          `json:"replies"`
}

type counts struct {
	Queued    int `json:"queued"`
	Waiting   int `json:"waiting"`
	Sent      int `json:"sent"`
	Delivered int `json:"delivered"`
	Failed    int `json:"failed"`
	Unknown   int `json:"unknown"`
	Skipped   int `json:"skipped"`
	Halted    int `json:"halted"`
}

type linkClicks struct {
	URL      string `json:"url"`
	ShortURL string `json:"short_url"`
	Clicks   int    `json:"clicks"`
}

func announcementOf(kw string, a *flows.Announcement) announcement {
	out := announcement{Object: "announcement", ID: a.ID, List: kw, Status: a.State, Text: a.Text, PictureURL: a.Picture,
		CreatedAt: utc(a.CreatedAt), Recipients: a.Recipients, Counts: counts(a.Counts), Links: []linkClicks{}, Replies: a.Replies}
	if !a.SendAt.IsZero() {
		out.SendAt = utc(a.SendAt)
	}
	if !a.DoneAt.IsZero() {
		out.CompletedAt = utc(a.DoneAt)
	}
	if a.Started {
		out.SendingNow, out.Waiting = &a.SendNow, &a.Later
	}
	for _, l := range a.Links {
		out.Links = append(out.Links, linkClicks{URL: l.URL, ShortURL: l.Short, Clicks: l.Clicks})
	}
	return out
}

// newAnnouncement is the body of POST /announcements.
type newAnnouncement struct {
	Text       string     `json:"text"`
	PictureURL string     `json:"picture_url"`
	SendAt     *time.Time `json:"send_at"`
	List       string     `json:"list"`
}

func (a *API) createAnnouncement(c echo.Context) error {
	var in newAnnouncement
	if err := decode(c.Request().Body, &in); err != nil {
		return problem(c, http.StatusBadRequest, KindMalformed, "The body is not an announcement object: "+err.Error())
	}
	kw, client, err := a.client(c, in.List)
	if err != nil {
		return fail(c, err)
	}
	if err := checkPictureURL(in.PictureURL); err != nil {
		return fail(c, err)
	}
	if utf8.RuneCountInString(in.Text) > 2*flows.MaxDelivered { // refused unread: the rules count the rest
		return problem(c, http.StatusUnprocessableEntity, string(flows.ReasonTooLong),
			"The text is far over the limit of "+strconv.Itoa(flows.MaxDelivered)+" characters as delivered.")
	}
	ann, err := a.svc.Create(c.Request().Context(), client, in.Text, in.PictureURL, in.SendAt)
	if err != nil {
		return fail(c, err)
	}
	return c.JSON(http.StatusCreated, announcementOf(kw, ann))
}

// checkPictureURL refuses a picture_url that is no absolute http(s) URL.
func checkPictureURL(raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if len(raw) > maxPictureURL || err != nil || u.Host == "" || u.User != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return bot.Errorf(bot.EINVALID, "picture_url is an absolute https:// URL of at most %d characters.", maxPictureURL)
	}
	return nil
}

func (a *API) listAnnouncements(c echo.Context) error {
	return listPage(a, c, "announcements", idCursor,
		func(client bot.Phone, before uint64, limit int) ([]flows.Announcement, string, error) {
			list, next, err := a.svc.List(client, before, limit)
			if next == 0 {
				return list, "", err
			}
			return list, base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatUint(next, 10))), err
		}, announcementOf)
}

// idCursor reads an announcements page cursor: 0 for none.
func idCursor(s string) (uint64, error) {
	if s == "" {
		return 0, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	n, perr := strconv.ParseUint(string(raw), 10, 64)
	if err != nil || perr != nil || len(s) > 40 || n == 0 {
		return 0, bot.Errorf(bot.EINVALID, "cursor is not one this API gave.")
	}
	return n, nil
}

func (a *API) getAnnouncement(c echo.Context) error {
	return a.onAnnouncement(c, a.svc.Get)
}

func (a *API) haltAnnouncement(c echo.Context) error {
	return a.onAnnouncement(c, a.svc.Halt)
}

func (a *API) cancelAnnouncement(c echo.Context) error {
	return a.onAnnouncement(c, a.svc.Cancel)
}

// onAnnouncement answers /announcements/{id}[/…] with what op does to it.
func (a *API) onAnnouncement(c echo.Context, op func(bot.Phone, uint64) (*flows.Announcement, error)) error {
	kw, client, err := a.client(c, c.QueryParam("list"))
	if err != nil {
		return fail(c, err)
	}
	id, err := strconv.ParseUint(c.Param("id"), 10, 64)
	if err != nil || id == 0 {
		return problem(c, http.StatusNotFound, KindNotFound, "No such announcement.")
	}
	ann, err := op(client, id)
	if err != nil {
		return fail(c, err)
	}
	return c.JSON(http.StatusOK, announcementOf(kw, ann))
}

// client is the keyword and phone of the client a request acts on (see
// list).
func (a *API) client(c echo.Context, named string) (string, bot.Phone, error) {
	kw, err := a.list(c, named)
	if err != nil {
		return "", "", err
	}
	var p bot.Phone
	err = a.st.View(func(tx bot.Tx) error {
		cl, err := tx.ClientByKeyword(kw)
		if err == nil && cl != nil {
			p = cl.Phone
		}
		return err
	})
	if err == nil && p == "" {
		err = bot.Errorf(bot.ENOTFOUND, "No such list.")
	}
	return kw, p, err
}

// decode reads a JSON body of one object with no unknown fields.
func decode(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errors.New(clip(err.Error()))
	}
	if dec.More() {
		return errors.New("more than one JSON value")
	}
	return nil
}

// pageLimit reads a page's limit.
func pageLimit(c echo.Context) (int, error) {
	limit := defaultLimit
	if s := strings.TrimSpace(c.QueryParam("limit")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxLimit {
			return 0, bot.Errorf(bot.EINVALID, "limit is a number from 1 to %d.", maxLimit)
		}
		limit = n
	}
	return limit, nil
}
