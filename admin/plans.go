package admin

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"nudges/bot"
	"nudges/store"
)

// planForm is the plan form as typed, with an error per field.
type planForm struct {
	ID          uint64
	Name        string
	Description string
	Price       string
	Currency    string
	Interval    string
	Quota       string
	TrialDays   string
	Number      string // shared (""), local or toll-free
	Active      bool
	Errors      map[string]string
}

type plansView struct {
	Plans []bot.Plan
}

func (c *Console) plansPage(ec echo.Context) error {
	var ps []bot.Plan
	err := c.db.Read(func(tx *store.Tx) error {
		var err error
		ps, err = tx.Plans()
		return err
	})
	if err != nil {
		return c.kit.Internal(ec, "plans", err)
	}
	notice, failure := c.kit.TakeFlash(ec)
	return c.kit.Render(ec, http.StatusOK, "plans.html", view{Title: "Plans", Notice: notice, Error: failure, D: plansView{Plans: ps}})
}

func (c *Console) planNew(ec echo.Context) error {
	f := planForm{Currency: "usd", Interval: string(bot.Month), Quota: "30", Active: true}
	return c.kit.Render(ec, http.StatusOK, "plan.html", view{Title: "New plan", Nav: "plans", D: f})
}

func (c *Console) planEdit(ec echo.Context) error {
	p, err := c.loadPlan(ec)
	if err != nil || p == nil {
		return err
	}
	f := planForm{ID: p.ID, Name: p.Name, Description: p.Description, Price: formatPrice(p.PriceMinor, p.Currency),
		Currency: p.Currency, Interval: string(p.Interval), Quota: strconv.Itoa(p.Quota), Active: p.Active, Number: string(p.Number),
		TrialDays: strconv.Itoa(p.TrialDays)}
	return c.kit.Render(ec, http.StatusOK, "plan.html", view{Title: "Edit " + p.Name, Nav: "plans", D: f})
}

// loadPlan reads the :id plan; a nil plan means the error page was sent.
func (c *Console) loadPlan(ec echo.Context) (*bot.Plan, error) {
	id, err := strconv.ParseUint(ec.Param("id"), 10, 64)
	if err != nil {
		return nil, c.kit.Fail(ec, http.StatusNotFound, "No such plan.")
	}
	var p *bot.Plan
	if err := c.db.Read(func(tx *store.Tx) error { p, err = tx.Plan(id); return err }); err != nil {
		return nil, c.kit.Internal(ec, "load plan", err)
	}
	if p == nil {
		return nil, c.kit.Fail(ec, http.StatusNotFound, "No such plan.")
	}
	return p, nil
}

func (c *Console) planCreate(ec echo.Context) error {
	return c.savePlan(ec, &bot.Plan{Active: true})
}

func (c *Console) planUpdate(ec echo.Context) error {
	p, err := c.loadPlan(ec)
	if err != nil || p == nil {
		return err
	}
	return c.savePlan(ec, p)
}

// savePlan validates the form into p, saves it, then syncs it to Stripe.
// An existing plan is read again inside the write, so that Stripe ids saved
// since the form was loaded are kept.
func (c *Console) savePlan(ec echo.Context, p *bot.Plan) error {
	f := readPlanForm(ec)
	f.ID = p.ID
	if !f.apply(p) {
		title := "New plan"
		if p.ID != 0 {
			title = "Edit " + p.Name
		}
		return c.kit.Render(ec, http.StatusUnprocessableEntity, "plan.html", view{Title: title, Nav: "plans", Error: "Please fix the fields marked below.", D: f})
	}
	saved, err := c.writePlan(p.ID, func(tx *store.Tx, cur *bot.Plan) error {
		other, err := tx.PlanByName(p.Name)
		if err != nil {
			return err
		}
		if other != nil && other.ID != cur.ID {
			return bot.Errorf(bot.ECONFLICT, "another plan is called %s", p.Name)
		}
		cur.Name, cur.Description, cur.PriceMinor, cur.Currency = p.Name, p.Description, p.PriceMinor, p.Currency
		cur.Interval, cur.Quota, cur.Active, cur.TrialDays, cur.Number = p.Interval, p.Quota, p.Active, p.TrialDays, p.Number
		return nil
	})
	if bot.ErrorCode(err) == bot.ECONFLICT {
		f.Errors["name"] = bot.ErrorMessage(err)
		return c.kit.Render(ec, http.StatusUnprocessableEntity, "plan.html", view{Title: "Plan", Nav: "plans", Error: "Please fix the fields marked below.", D: f})
	}
	if err != nil {
		return c.planError(ec, "save plan", err)
	}
	return c.afterPlanSave(ec, saved, "Plan "+saved.Name+" saved.")
}

// writePlan changes plan id (a new plan when 0) as it stands inside one
// write transaction and returns what was saved.
func (c *Console) writePlan(id uint64, change func(*store.Tx, *bot.Plan) error) (*bot.Plan, error) {
	var saved bot.Plan
	err := c.db.Write(func(tx *store.Tx) error {
		cur := &bot.Plan{Active: true, CreatedAt: c.cfg.Clock.Now()}
		if id != 0 {
			var err error
			if cur, err = tx.Plan(id); err != nil {
				return err
			}
			if cur == nil {
				return bot.Errorf(bot.ENOTFOUND, "No such plan.")
			}
		}
		if err := change(tx, cur); err != nil {
			return err
		}
		if err := tx.PutPlan(cur); err != nil {
			return err
		}
		saved = *cur
		return nil
	})
	return &saved, err
}

// planError shows a plan that vanished as 404, anything else as a 500.
func (c *Console) planError(ec echo.Context, what string, err error) error {
	if bot.ErrorCode(err) == bot.ENOTFOUND {
		return c.kit.Fail(ec, http.StatusNotFound, bot.ErrorMessage(err))
	}
	return c.kit.Internal(ec, what, err)
}

// afterPlanSave syncs p to Stripe (outside any transaction), stores the ids
// it got, and goes back to the list. The price id is stored only if the
// plan still charges what was synced; otherwise the next payment link
// syncs it again.
func (c *Console) afterPlanSave(ec echo.Context, p *bot.Plan, notice string) error {
	if c.cfg.Plans == nil {
		return c.kit.RedirectFlash(ec, "/admin/plans", notice, false)
	}
	ctx, cancel := context.WithTimeout(ec.Request().Context(), 20*time.Second)
	defer cancel()
	if err := c.cfg.Plans.SyncPlan(ctx, p); err != nil {
		c.log.Error("console: sync plan to Stripe", "plan", p.ID, "err", err)
		msg := notice + " Syncing it to Stripe failed (" + bot.ErrorMessage(err) + "); save it again to retry."
		return c.kit.RedirectFlash(ec, "/admin/plans", msg, true)
	}
	if err := c.saveStripeIDs(p); err != nil {
		return c.kit.Internal(ec, "save Stripe ids", err)
	}
	return c.kit.RedirectFlash(ec, "/admin/plans", notice+" Synced to Stripe.", false)
}

// planArchive takes a plan off sale (or back on with restore=1). Clients
// already on it keep it.
func (c *Console) planArchive(ec echo.Context) error {
	p, err := c.loadPlan(ec)
	if err != nil || p == nil {
		return err
	}
	active := ec.FormValue("restore") == "1"
	p, err = c.writePlan(p.ID, func(_ *store.Tx, cur *bot.Plan) error { cur.Active = active; return nil })
	if err != nil {
		return c.planError(ec, "archive plan", err)
	}
	notice := "Plan " + p.Name + " archived: new clients can no longer pick it."
	if p.Active {
		notice = "Plan " + p.Name + " is on sale again."
	}
	return c.afterPlanSave(ec, p, notice)
}

func readPlanForm(ec echo.Context) planForm {
	return planForm{
		Name:        strings.TrimSpace(ec.FormValue("name")),
		Description: strings.TrimSpace(ec.FormValue("description")),
		Price:       strings.TrimSpace(ec.FormValue("price")),
		Currency:    strings.ToLower(strings.TrimSpace(ec.FormValue("currency"))),
		Interval:    strings.ToLower(strings.TrimSpace(ec.FormValue("interval"))),
		Quota:       strings.TrimSpace(ec.FormValue("quota")),
		TrialDays:   strings.TrimSpace(ec.FormValue("trial_days")),
		Number:      strings.TrimSpace(ec.FormValue("number")),
		Active:      ec.FormValue("active") != "",
		Errors:      map[string]string{},
	}
}

// apply validates f and copies it into p; false when a field is wrong.
func (f *planForm) apply(p *bot.Plan) bool {
	if n := utf8.RuneCountInString(f.Name); n < 2 || n > 40 {
		f.Errors["name"] = "A name of 2 to 40 characters is needed."
	}
	if utf8.RuneCountInString(f.Description) > 200 {
		f.Errors["description"] = "At most 200 characters."
	}
	// Plan names reach clients by SMS (the signup's plan list): no hidden characters.
	for field, v := range map[string]string{"name": f.Name, "description": f.Description} {
		if bot.HasControl(v) {
			f.Errors[field] = "Remove the control characters (tabs, line breaks, NULs, direction marks)."
		}
	}
	if !bot.KnownCurrency(f.Currency) {
		f.Errors["currency"] = "Use a 3-letter ISO currency code Stripe supports: " + strings.Join(bot.Currencies(), ", ") + "."
	}
	minor, err := parsePrice(f.Price, f.Currency)
	if err != nil {
		f.Errors["price"] = err.Error()
	}
	iv := bot.Interval(f.Interval)
	if iv != bot.Week && iv != bot.Month && iv != bot.Year {
		f.Errors["interval"] = "Pick week, month or year."
	}
	quota, err := strconv.Atoi(f.Quota)
	if err != nil || quota < 1 || quota > 100000 {
		f.Errors["quota"] = "A whole number from 1 to 100000."
	}
	trial := 0
	if f.TrialDays != "" {
		if trial, err = strconv.Atoi(f.TrialDays); err != nil || trial < 0 || trial > maxTrialDays {
			f.Errors["trial_days"] = "Empty or 0 for no trial, else whole days up to 730."
		}
	}
	number := bot.NumberKind(f.Number)
	if number == "shared" {
		number = bot.NumberShared
	}
	if number != bot.NumberShared && number != bot.NumberLocal && number != bot.NumberTollFree {
		f.Errors["number"] = "Pick shared, local or toll-free."
	}
	if len(f.Errors) > 0 {
		return false
	}
	p.Name, p.Description, p.PriceMinor, p.Currency = f.Name, f.Description, minor, f.Currency
	p.Interval, p.Quota, p.Active, p.TrialDays, p.Number = iv, quota, f.Active, trial, number
	return true
}

// maxTrialDays is the longest trial Stripe Checkout starts a subscription with.
const maxTrialDays = 730

// parsePrice reads "9", "9.5" or "9.00" (digits and one point, nothing
// else) into minor units of currency.
func parsePrice(s, currency string) (int64, error) {
	bad := fmt.Errorf("A price like 9.00 is needed (more than 0, at most 100000)")
	whole, frac, hasFrac := strings.Cut(s, ".")
	decimals := 2
	if bot.ZeroDecimal(currency) {
		decimals = 0
	}
	if !digits(whole) || len(frac) > decimals || (hasFrac && !digits(frac)) || len(whole) > 6 {
		return 0, bad
	}
	frac += strings.Repeat("0", decimals-len(frac))
	w, _ := strconv.ParseInt(whole, 10, 64)
	if w > 100000 {
		return 0, bad
	}
	minor := w
	for range decimals {
		minor *= 10
	}
	if frac != "" {
		fv, _ := strconv.ParseInt(frac, 10, 64)
		minor += fv
	}
	if minor <= 0 {
		return 0, bad
	}
	return minor, nil
}

// digits reports whether s is one or more ASCII digits.
func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// formatPrice is the form's text for minor units ("9.00").
func formatPrice(minor int64, currency string) string {
	if bot.ZeroDecimal(currency) {
		return strconv.FormatInt(minor, 10)
	}
	return fmt.Sprintf("%d.%02d", minor/100, minor%100)
}
