package app

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"nudges/bot"
	"nudges/flows"
	"nudges/webhooks/webkit"
)

// threadsPage is how many reply threads one page shows.
const threadsPage = 20

// maxAnswerBytes bounds an answer's form field before the Service's own
// rules (flows.Service.Answer: its length in characters, no control
// characters, not empty) see it.
const maxAnswerBytes = 2048

// mayAnswer are the client states that may answer a reply: a suspended or
// canceled list reads its threads but texts nobody from here.
var mayAnswer = []bot.ClientStatus{bot.ClientActive, bot.ClientPastDue}

// replyRoutes are the Replies pages: threads by #n, never a phone number.
func (d *Dashboard) replyRoutes() []route {
	return []route{
		{Method: http.MethodGet, Path: "/replies", Handle: d.replies},
		{Method: http.MethodGet, Path: "/replies/:n", Handle: d.thread},
		{Method: http.MethodPost, Path: "/replies/:n", Handle: d.answer, States: mayAnswer},
	}
}

// repliesView is the data of the Replies page and of one thread's page.
// It holds threads only: a thread knows its subscriber by #n, and the
// phone number is never loaded for it.
type repliesView struct {
	Client    *bot.Client
	Threads   []bot.Thread
	Next      string // the next page's link
	Paged     bool
	MayAnswer bool
	Text      string // an answer sent back with its refusal
	Single    bool   // one thread's own page
	Zone      string // the client's time zone, the times are shown in
}

// threadArgs is what the "thread" template gets: a thread and the page.
func threadArgs(t bot.Thread, page webkit.View) map[string]any {
	return map[string]any{"T": t, "P": page}
}

// replies lists client c's threads, latest activity first.
func (d *Dashboard) replies(ec echo.Context, c *bot.Client) error {
	after, ok := bot.ParseThreadCursor(ec.QueryParam("after"))
	if !ok {
		return d.kit.Fail(ec, http.StatusBadRequest, "That page link is not valid: start from the first page.")
	}
	list, next, err := d.cfg.Service.Threads(c.Phone, after, threadsPage)
	if err != nil {
		return d.kit.Internal(ec, "threads", err)
	}
	v := repliesView{Client: c, Zone: d.zone(c), Threads: list, Paged: !after.At.IsZero(), MayAnswer: slices.Contains(mayAnswer, c.Status)}
	if next != nil {
		v.Next = "/app/replies?" + url.Values{"after": {next.String()}}.Encode()
	}
	return d.render(ec, c, "replies.html", "Replies", v)
}

// thread shows one of c's threads with its answer form.
func (d *Dashboard) thread(ec echo.Context, c *bot.Client) error {
	n, ok := handle(ec.Param("n"))
	if !ok {
		return d.noThread(ec)
	}
	th, err := d.cfg.Service.Thread(c.Phone, n)
	if err != nil {
		return d.threadErr(ec, err)
	}
	return d.renderThread(ec, c, th, "", "")
}

// answer texts c's answer to #n through the Service, the rules of an SMS
// "#n text": a subscriber who left or opted out is refused with why.
func (d *Dashboard) answer(ec echo.Context, c *bot.Client) error {
	n, ok := handle(ec.Param("n"))
	if !ok {
		return d.noThread(ec)
	}
	text := ec.FormValue("text")
	if len(text) > maxAnswerBytes {
		return d.refuseAnswer(ec, c, n, fmt.Sprintf("The answer is longer than %d bytes: shorten it.", maxAnswerBytes), "")
	}
	_, err := d.cfg.Service.Answer(c.Phone, n, text)
	var no *flows.Refused
	switch {
	case errors.As(err, &no):
		return d.refuseAnswer(ec, c, n, no.Message, text)
	case err != nil:
		return d.threadErr(ec, err)
	}
	return d.kit.RedirectFlash(ec, fmt.Sprintf("/app/replies/%d", n), fmt.Sprintf("Sent to #%d.", n), false)
}

// refuseAnswer shows #n again with why the answer was not sent.
func (d *Dashboard) refuseAnswer(ec echo.Context, c *bot.Client, n int, why, text string) error {
	th, err := d.cfg.Service.Thread(c.Phone, n)
	if err != nil {
		return d.threadErr(ec, err)
	}
	return d.renderThread(ec, c, th, "Not sent: "+why, text)
}

func (d *Dashboard) renderThread(ec echo.Context, c *bot.Client, th *bot.Thread, failure, text string) error {
	v := repliesView{Client: c, Zone: d.zone(c), Threads: []bot.Thread{*th}, MayAnswer: slices.Contains(mayAnswer, c.Status), Text: text, Single: true}
	return d.renderPage(ec, c, pageRef{"replies.html", "#" + strconv.Itoa(th.N), "replies"}, v, failure)
}

// threadErr answers a Service error: not found is the 404 of any id that
// is not the client's.
func (d *Dashboard) threadErr(ec echo.Context, err error) error {
	if bot.ErrorCode(err) == bot.ENOTFOUND {
		return d.noThread(ec)
	}
	return d.kit.Internal(ec, "thread", err)
}

func (d *Dashboard) noThread(ec echo.Context) error {
	return d.kit.Fail(ec, http.StatusNotFound, "There is no such reply thread on your list. A subscriber who asked to be erased has their thread removed.")
}

// handle reads a thread's #n from the path ("12" or "#12").
func handle(s string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimPrefix(s, "#"))
	return n, err == nil && n > 0 && n < 1e9
}
