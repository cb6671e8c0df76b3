package app

import (
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"nudges/bot"
	"nudges/store"
	"nudges/webhooks/web"
	"nudges/webhooks/webkit"
)

// growthDays is the span of the Overview's growth chart.
const growthDays = 90

// qrScale is the PNG QR code's pixels per module (print size).
const qrScale = 10

// overviewView is the data of the Overview page.
type overviewView struct {
	Client  *bot.Client
	Plan    *bot.Plan // nil when the client has none
	Left    int       // announcements left this period
	Chart   template.HTML
	Number  numberView
	JoinURL string
	// Paid is the paid list's members and this month's revenue; nil for
	// a list that never charged.
	Paid *bot.PaidSummary
}

// overview is the dashboard's front page: the list, its plan and number,
// and the join link with its QR code.
func (d *Dashboard) overview(ec echo.Context, c *bot.Client) error {
	v := overviewView{Client: c, Number: d.numberOf(c), JoinURL: d.joinURL(c)}
	err := d.db.Read(func(tx *store.Tx) error {
		var err error
		if v.Plan, err = tx.Plan(c.PlanID); err != nil {
			return err
		}
		now := d.cfg.Web.Clock.Now()
		growth, err := tx.ListGrowth(c.Keyword, now, growthDays)
		if err != nil {
			return err
		}
		v.Chart = webkit.GrowthChart(growth)
		v.Paid, err = paidOf(tx, c, now, d.cfg.PlatformFee)
		return err
	})
	if err != nil {
		return d.kit.Internal(ec, "overview", err)
	}
	if v.Plan != nil {
		v.Left = max(v.Plan.Quota-c.Used, 0) // as STATS counts it
	}
	return d.render(ec, c, "overview.html", "Overview", v)
}

// joinURL is c's public join page, the link it shares.
func (d *Dashboard) joinURL(c *bot.Client) string {
	return strings.TrimRight(d.cfg.Web.PublicURL, "/") + "/j/" + url.PathEscape(c.Keyword)
}

// qrSVG serves the QR code of c's join link as SVG.
func (d *Dashboard) qrSVG(ec echo.Context, c *bot.Client) error {
	svg, err := web.QRSVG(d.joinURL(c))
	if err != nil {
		return d.kit.Internal(ec, "qr", err)
	}
	return d.qrFile(ec, c, "image/svg+xml", "svg", svg)
}

// qrPNG serves the QR code of c's join link as PNG, for print.
func (d *Dashboard) qrPNG(ec echo.Context, c *bot.Client) error {
	img, err := web.QRPNG(d.joinURL(c), qrScale)
	if err != nil {
		return d.kit.Internal(ec, "qr", err)
	}
	return d.qrFile(ec, c, "image/png", "png", img)
}

// qrFile sends a QR image; ?download=1 saves it as a file.
func (d *Dashboard) qrFile(ec echo.Context, c *bot.Client, ctype, ext string, body []byte) error {
	if ec.QueryParam("download") != "" {
		ec.Response().Header().Set("Content-Disposition", `attachment; filename="`+strings.ToLower(c.Keyword)+"-qr."+ext+`"`)
	}
	return ec.Blob(http.StatusOK, ctype, body)
}

// paidOf is c's paid-list figures, as STATS gives them, or nil when the
// list has no price and no paying member.
func paidOf(tx bot.PaidReader, c *bot.Client, now time.Time, fee float64) (*bot.PaidSummary, error) {
	s, err := bot.SummarizePaid(tx, c, now, fee)
	if err != nil || (s.Price == 0 && s.Members == 0 && s.Revenue == 0) {
		return nil, err
	}
	return &s, nil
}
