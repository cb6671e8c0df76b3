package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"nudges/bot"
)

// thread is a reply thread as the API shows it: by its handle, never the
// subscriber's phone.
type thread struct {
	Object       string          `json:"object"`
	N            int             `json:"n"`
	Handle       string          `json:"handle"`
	List         string          `json:"list"`
	LastActivity string          `json:"last_activity_at"`
	Messages     []threadMessage `json:"messages"`
}

type threadMessage struct {
	Direction string `json:"direction"` // in: the subscriber's; out: the client's answer
	Text      string `json:"text"`
	At        string `json:"at"`
}

func threadOf(kw string, th *bot.Thread) thread {
	out := thread{Object: "thread", N: th.N, Handle: "#" + strconv.Itoa(th.N), List: kw, LastActivity: utc(th.At),
		Messages: []threadMessage{}}
	for _, m := range th.Messages {
		dir := "out"
		if m.In {
			dir = "in"
		}
		out.Messages = append(out.Messages, threadMessage{Direction: dir, Text: m.Text, At: utc(m.At)})
	}
	return out
}

func (a *API) listReplies(c echo.Context) error {
	return listPage(a, c, "replies", threadCursor,
		func(client bot.Phone, after bot.ThreadCursor, limit int) ([]bot.Thread, string, error) {
			list, next, err := a.svc.Threads(client, after, limit)
			if next == nil {
				return list, "", err
			}
			return list, next.String(), err
		}, threadOf)
}

// threadCursor reads a replies page cursor (bot.ThreadCursor.String).
func threadCursor(s string) (bot.ThreadCursor, error) {
	cur, ok := bot.ParseThreadCursor(s)
	if !ok {
		return cur, bot.Errorf(bot.EINVALID, "cursor is not one this API gave.")
	}
	return cur, nil
}

// newAnswer is the body of POST /replies/{n}.
type newAnswer struct {
	Text string `json:"text"`
	List string `json:"list"`
}

func (a *API) answerReply(c echo.Context) error {
	var in newAnswer
	if err := decode(c.Request().Body, &in); err != nil {
		return problem(c, http.StatusBadRequest, KindMalformed, "The body is not an answer object: "+err.Error())
	}
	kw, client, err := a.client(c, in.List)
	if err != nil {
		return fail(c, err)
	}
	n, err := strconv.Atoi(strings.TrimPrefix(c.Param("n"), "#"))
	if err != nil || n <= 0 {
		return problem(c, http.StatusNotFound, KindNotFound, "No such thread.")
	}
	th, err := a.svc.Answer(client, n, in.Text)
	if err != nil {
		return fail(c, err)
	}
	return c.JSON(http.StatusCreated, threadOf(kw, th))
}
