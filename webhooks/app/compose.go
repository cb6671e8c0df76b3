package app

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"nudges/bot"
	"nudges/flows"
	"nudges/webhooks/webkit"
)

// maxPictureURL bounds a picture's URL.
const maxPictureURL = 2048

// localLayout is how a datetime-local input sends a time.
const localLayout = "2006-01-02T15:04"

// draftForm is what the client typed: kept on every page of the way.
type draftForm struct {
	Text    string
	Picture string // the picture's URL, "" for none
}

// composeView is the data of compose.html: the form, and once previewed
// what sending it would mean and the buttons that send it.
type composeView struct {
	draftForm
	Name    string // the client's name: subscribers get "Name: text"
	CanSend bool
	Preview *flows.Preview // nil before the preview
	Once    string         // the confirm form's one-time token
	SendAt  string         // the schedule input's value
	Zone    string         // the client's time zone, the schedule is read in
	Min     string         // the schedule input's bounds: now to MaxSchedule ahead
	Max     string
}

// compose is the empty form.
func (d *Dashboard) compose(ec echo.Context, c *bot.Client) error {
	return d.composePage(ec, c, http.StatusOK, composeView{}, "")
}

// preview shows what sending the typed announcement would mean (the SMS
// draft reply's counts) with the buttons that send or schedule it.
func (d *Dashboard) preview(ec echo.Context, c *bot.Client) error {
	return d.previewPage(ec, c, readDraft(ec), ec.FormValue("send_at"), "")
}

// send sends or schedules the previewed announcement, once: its form's
// one-time token is spent before the announcement is made, so the same
// form posted again (twice clicked, the back button) sends nothing more.
func (d *Dashboard) send(ec echo.Context, c *bot.Client) error {
	in := readDraft(ec)
	token := ec.FormValue("once")
	if !onceToken(token) {
		return d.composePage(ec, c, http.StatusUnprocessableEntity, composeView{draftForm: in},
			"This form has expired: preview the announcement again.")
	}
	at, problem := d.sendAt(c, ec.FormValue("action"), ec.FormValue("send_at"))
	if problem != "" {
		return d.previewPage(ec, c, in, ec.FormValue("send_at"), problem)
	}
	first, err := d.claimOnce(c.Phone, token)
	if err != nil {
		return d.kit.Internal(ec, "claim confirm token", err)
	}
	if first != nil {
		return d.replay(ec, c, in, first)
	}
	a, err := d.cfg.Service.Create(ec.Request().Context(), c.Phone, in.Text, in.Picture, at)
	if serr := d.settleOnce(c.Phone, token, a, err); serr != nil {
		d.kit.Log().Error("dashboard: settle confirm token", "err", serr)
	}
	var r *flows.Refused
	if errors.As(err, &r) {
		return d.previewPage(ec, c, in, ec.FormValue("send_at"), say(r))
	}
	if err != nil {
		return d.kit.Internal(ec, "create announcement", err)
	}
	return d.kit.RedirectFlash(ec, fmt.Sprintf("/app/announcements/%d", a.ID), d.sentNotice(c, a), false)
}

// sentNotice says what Create did, as CONFIRM's or LATER's reply does.
func (d *Dashboard) sentNotice(c *bot.Client, a *flows.Announcement) string {
	if !a.Started {
		return "Scheduled for " + webkit.WhenIn(a.SendAt, d.zone(c)) + "."
	}
	if a.Later > 0 {
		return fmt.Sprintf("Sending to %d now; %d more get it when their send window opens.", a.SendNow, a.Later)
	}
	return fmt.Sprintf("Sending to %d.", a.SendNow)
}

// replay answers a confirm form posted again: the announcement it made,
// or why it made none.
func (d *Dashboard) replay(ec echo.Context, c *bot.Client, in draftForm, first *bot.Answer) error {
	if first.Status == http.StatusCreated {
		return d.kit.RedirectFlash(ec, "/app/announcements/"+string(first.Body),
			"This form was sent already: the announcement below is it, and nothing was sent again.", false)
	}
	return d.previewPage(ec, c, in, ec.FormValue("send_at"),
		"This form was used already, and nothing was sent again. Check the list of announcements, then send from this new preview if need be.")
}

// sendAt reads when to send: nil for now, else the datetime-local value
// in the client's zone; problem says what is wrong with it.
func (d *Dashboard) sendAt(c *bot.Client, action, value string) (at *time.Time, problem string) {
	switch action {
	case "now":
		return nil, ""
	case "schedule":
	default:
		return nil, "Choose Send now or Schedule."
	}
	value = strings.TrimSpace(value)
	t, err := time.ParseInLocation(localLayout, value, d.cfg.Service.Zone(c.Phone))
	if err != nil {
		t, err = time.ParseInLocation(localLayout+":05", value, d.cfg.Service.Zone(c.Phone))
	}
	if err != nil {
		return nil, "The time to send is not a date and time: pick one, such as " +
			d.cfg.Web.Clock.Now().Add(24*time.Hour).In(d.cfg.Service.Zone(c.Phone)).Format("2006-01-02 15:04") + "."
	}
	t = t.UTC()
	return &t, ""
}

// previewPage shows the preview of in with a fresh one-time token, and
// failure when something went wrong; a draft the rules refuse goes back
// to the form with the reason.
func (d *Dashboard) previewPage(ec echo.Context, c *bot.Client, in draftForm, sendAt, failure string) error {
	v := composeView{draftForm: in, SendAt: sendAt}
	if problem := checkPicture(in.Picture); problem != "" {
		return d.composePage(ec, c, http.StatusUnprocessableEntity, v, problem)
	}
	p, err := d.cfg.Service.Preview(c.Phone, in.Text, in.Picture)
	var r *flows.Refused
	if errors.As(err, &r) {
		return d.composePage(ec, c, http.StatusUnprocessableEntity, v, say(r))
	}
	if err != nil {
		return d.annFail(ec, "preview", err)
	}
	if v.Once, err = bot.RandomCode(onceLen); err != nil {
		return d.kit.Internal(ec, "confirm token", err)
	}
	v.Preview = p
	status := http.StatusOK
	if failure != "" {
		status = http.StatusUnprocessableEntity
	}
	return d.composePage(ec, c, status, v, failure)
}

// composePage renders compose.html with v and failure at the top.
func (d *Dashboard) composePage(ec echo.Context, c *bot.Client, status int, v composeView, failure string) error {
	v.Name, v.CanSend = c.Name, mayAct(c)
	loc := d.cfg.Service.Zone(c.Phone)
	now := d.cfg.Web.Clock.Now().In(loc)
	v.Zone, v.Min, v.Max = loc.String(), now.Format(localLayout), now.Add(flows.MaxSchedule).Format(localLayout)
	title := "Write an announcement"
	if v.Preview != nil {
		title = "Preview"
	}
	view := d.annView(ec, c, title, v)
	if failure != "" {
		view.Error = failure
	}
	return d.kit.Render(ec, status, "compose.html", view)
}

// readDraft reads the text and picture fields.
func readDraft(ec echo.Context) draftForm {
	return draftForm{Text: ec.FormValue("text"), Picture: strings.TrimSpace(ec.FormValue("picture"))}
}

// checkPicture says what is wrong with a picture's URL ("" if nothing).
// Where it points is checked when it is fetched: never a private address.
func checkPicture(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if len(raw) > maxPictureURL || err != nil || u.Host == "" || u.User != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Sprintf("The picture's URL must be a full https:// address of at most %d characters.", maxPictureURL)
	}
	return ""
}
