package stripe

import (
	"fmt"
	"html/template"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"nudges/bot"
)

// handleDevCheckout is GET /dev/checkout/{token} (dev mode only): the plan
// and a "Pay (test mode)" button.
func (s *Server) handleDevCheckout(c echo.Context) error {
	cl, p, err := s.linkClient(c, c.Param("token"))
	if cl == nil {
		return err
	}
	l := lang(cl)
	if cl.Status != bot.ClientPending && cl.Status != bot.ClientCanceled {
		return s.say(c, http.StatusOK, l, "PageAlreadyPaid")
	}
	lines := []string{s.t.T(l, "PageDevCheckout", nil), s.t.T(l, "PageDevPlan", s.planData(cl, p))}
	if d := s.checkoutDiscount(cl, p); d != nil {
		lines = append(lines, s.t.T(l, "PageDevDiscount", s.discountData(l, d, p)))
	}
	if days := trialDays(cl, p); days > 0 {
		data := s.planData(cl, p)
		data["Days"] = days
		lines = append(lines, s.t.T(l, "PageDevTrial", data))
	}
	return s.render(c, http.StatusOK, l, pageData{
		Lines:  lines,
		Action: PathDevCheckout + cl.PayToken,
		Button: s.t.T(l, "PageDevPay", nil),
	})
}

// handleDevPay is POST /dev/checkout/{token}: it completes the checkout
// through the same path a real checkout.session.completed takes, then shows
// the success page. Paying twice applies one event: its id is the session's.
func (s *Server) handleDevPay(c echo.Context) error {
	cl, p, err := s.linkClient(c, c.Param("token"))
	if cl == nil {
		return err
	}
	if cl.Status != bot.ClientPending && cl.Status != bot.ClientCanceled {
		return s.say(c, http.StatusOK, lang(cl), "PageAlreadyPaid")
	}
	if cl.CheckoutID == "" {
		if cl, err = s.saveCheckout(cl.PayToken, "cs_dev_"+randomHex(), bot.OpenCheckout{}); err != nil {
			return err
		}
	}
	session := strings.TrimPrefix(cl.CheckoutID, "cs_dev_")
	customer := cl.CustomerID
	if customer == "" {
		customer = "cus_dev_" + cl.PayToken
	}
	now := s.clock.Now()
	ev := bot.BillingEvent{
		ID: "evt_dev_" + session, Type: bot.EventCheckoutCompleted, Created: now.Unix(),
		ClientPhone: cl.Phone, PlanID: p.ID, CustomerID: customer, SubscriptionID: "sub_dev_" + session,
		CheckoutID: cl.CheckoutID, Status: bot.ClientActive,
	}
	if d := s.checkoutDiscount(cl, p); d != nil {
		ev.Code = d.Code
	}
	if days := trialDays(cl, p); days > 0 { // the trial is the first period
		ev.PeriodStart, ev.PeriodEnd = now, now.AddDate(0, 0, days)
		ev.TrialEnd = ev.PeriodEnd
	}
	if err := s.billing.Apply(c.Request().Context(), ev); err != nil {
		return fmt.Errorf("dev checkout: %w", err)
	}
	return c.Redirect(http.StatusSeeOther, PathPay+cl.PayToken+"/done")
}

// planData is what the pages say about a client's plan.
func (s *Server) planData(cl *bot.Client, p *bot.Plan) map[string]any {
	l := lang(cl)
	end := "-"
	if !cl.PeriodEnd.IsZero() {
		end = cl.PeriodEnd.Format("2006-01-02")
	}
	return map[string]any{
		"Name": cl.Name, "Keyword": cl.Keyword, "Plan": p.Name, "Quota": p.Quota,
		"Price":    money(p.PriceMinor, p.Currency),
		"Interval": s.t.T(l, "Interval_"+string(p.Interval), nil),
		"Status":   s.t.T(l, "Status_"+string(cl.Status), nil), "PeriodEnd": end,
	}
}

// discountData is what the dev checkout says about a discount on p.
func (s *Server) discountData(l string, d *bot.Discount, p *bot.Plan) map[string]any {
	off := s.t.T(l, "DiscountAmount", map[string]any{"Amount": money(d.AmountOff, d.Currency)})
	if d.PercentOff > 0 {
		off = s.t.T(l, "DiscountPercent", map[string]any{"Percent": d.PercentOff})
	}
	forID, forData := "DiscountOnce", map[string]any{"Months": d.Months}
	switch d.Duration {
	case bot.DurationForever:
		forID = "DiscountForever"
	case bot.DurationRepeating:
		forID = "DiscountMonths"
	}
	return map[string]any{
		"Code": d.Code, "Off": off, "For": s.t.T(l, forID, forData),
		"Price": money(d.Price(p.PriceMinor, p.Currency), p.Currency), "Was": money(p.PriceMinor, p.Currency),
	}
}

// money is an amount as the pages show it: "9.00 USD".
func money(minor int64, currency string) string {
	if bot.ZeroDecimal(currency) {
		return fmt.Sprintf("%d %s", minor, strings.ToUpper(currency))
	}
	return fmt.Sprintf("%d.%02d %s", minor/100, minor%100, strings.ToUpper(currency))
}

type pageData struct {
	Lang   string
	Lines  []string
	Action string // a form posting here, with Button, when set
	Button string
}

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>Nudges</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;line-height:1.5}
button{font-size:1.1rem;padding:.6rem 1.2rem}</style></head>
<body><h1>Nudges</h1>
{{range .Lines}}<p>{{.}}</p>
{{end}}{{if .Action}}<form method="post" action="{{.Action}}"><button type="submit">{{.Button}}</button></form>
{{end}}</body></html>
`))

func (s *Server) render(c echo.Context, status int, l string, d pageData) error {
	d.Lang = l
	var b strings.Builder
	if err := pageTmpl.Execute(&b, d); err != nil {
		return fmt.Errorf("render page: %w", err)
	}
	return c.HTML(status, b.String())
}

// say renders a page of one message.
func (s *Server) say(c echo.Context, status int, l, id string) error {
	return s.render(c, status, l, pageData{Lines: []string{s.t.T(l, id, nil)}})
}

// page serves a fixed message in the language of the link's client.
func (s *Server) page(id string) echo.HandlerFunc {
	return func(c echo.Context) error {
		l := bot.English
		if cl, _, err := s.lookup(c.Param("token")); err == nil && cl != nil {
			l = lang(cl)
		}
		return s.say(c, http.StatusOK, l, id)
	}
}
