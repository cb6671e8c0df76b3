package admin

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"nudges/bot"
	"nudges/store"
)

// DiscountSyncer makes a discount code's Stripe Coupon and Promotion Code
// and turns the code off there (webhooks/stripe.API).
type DiscountSyncer interface {
	SyncDiscount(ctx context.Context, d *bot.Discount, products []string) error
	ArchiveDiscount(ctx context.Context, d *bot.Discount) error
}

// codeForm is the discount-code form as typed, with an error per field.
type codeForm struct {
	Code, Kind, Value, Currency, Duration, Months, MaxUses, Expires string
	Plans                                                           []uint64
	AllPlans                                                        []bot.Plan
	Errors                                                          map[string]string
}

type codesView struct {
	Codes []bot.Discount
	Plans map[uint64]string
	Now   time.Time
}

func (c *Console) codesPage(ec echo.Context) error {
	var v codesView
	err := c.db.Read(func(tx *store.Tx) error {
		var err error
		if v.Codes, err = tx.Discounts(); err != nil {
			return err
		}
		v.Plans, err = planNames(tx)
		return err
	})
	if err != nil {
		return c.kit.Internal(ec, "codes", err)
	}
	v.Now = c.cfg.Clock.Now()
	notice, failure := c.kit.TakeFlash(ec)
	return c.kit.Render(ec, http.StatusOK, "codes.html", view{Title: "Discount codes", Nav: "codes", Notice: notice, Error: failure, D: v})
}

func planNames(tx *store.Tx) (map[uint64]string, error) {
	ps, err := tx.Plans()
	out := map[uint64]string{}
	for _, p := range ps {
		out[p.ID] = p.Name
	}
	return out, err
}

func (c *Console) codeNew(ec echo.Context) error {
	f := codeForm{Kind: "percent", Currency: "usd", Duration: bot.DurationOnce, Errors: map[string]string{}}
	if err := c.loadPlansInto(&f); err != nil {
		return c.kit.Internal(ec, "plans", err)
	}
	return c.kit.Render(ec, http.StatusOK, "code.html", view{Title: "New discount code", Nav: "codes", D: f})
}

func (c *Console) loadPlansInto(f *codeForm) error {
	return c.db.Read(func(tx *store.Tx) error {
		var err error
		f.AllPlans, err = tx.Plans()
		return err
	})
}

// codeCreate validates the form, makes the code's Stripe objects when
// Stripe is configured (nothing is saved if that fails), then saves it.
func (c *Console) codeCreate(ec echo.Context) error {
	f := readCodeForm(ec)
	if err := c.loadPlansInto(&f); err != nil {
		return c.kit.Internal(ec, "plans", err)
	}
	d, ok := f.discount(c.cfg.Clock.Now())
	if ok {
		c.codeTaken(&f, d.Code)
	}
	if len(f.Errors) > 0 {
		return c.kit.Render(ec, http.StatusUnprocessableEntity, "code.html", view{Title: "New discount code", Nav: "codes", Error: "Please fix the fields marked below.", D: f})
	}
	if c.cfg.Discounts != nil {
		if err := c.syncCode(ec.Request().Context(), d); err != nil {
			c.log.Error("console: sync code to Stripe", "code", d.Code, "err", err)
			return c.kit.Render(ec, http.StatusBadGateway, "code.html", view{Title: "New discount code", Nav: "codes",
				Error: "Stripe refused the code (" + bot.ErrorMessage(err) + "); nothing was saved.", D: f})
		}
	}
	err := c.db.Write(func(tx *store.Tx) error {
		if cur, err := tx.Discount(d.Code); err != nil || cur != nil {
			if err == nil {
				err = bot.Errorf(bot.ECONFLICT, "Code %s exists already.", d.Code)
			}
			return err
		}
		return tx.PutDiscount(d)
	})
	if bot.ErrorCode(err) == bot.ECONFLICT {
		return c.kit.RedirectFlash(ec, "/admin/codes", bot.ErrorMessage(err), true)
	}
	if err != nil {
		return c.kit.Internal(ec, "save code", err)
	}
	return c.kit.RedirectFlash(ec, "/admin/codes", "Code "+d.Code+" created.", false)
}

// codeTaken marks the code field when the code exists already.
func (c *Console) codeTaken(f *codeForm, code string) {
	_ = c.db.Read(func(tx *store.Tx) error {
		if cur, err := tx.Discount(code); err == nil && cur != nil {
			f.Errors["code"] = "That code exists already."
		}
		return nil
	})
}

// syncCode makes d's Stripe objects, first giving the plans it applies to
// their Stripe products.
func (c *Console) syncCode(parent context.Context, d *bot.Discount) error {
	ctx, cancel := context.WithTimeout(parent, 20*time.Second)
	defer cancel()
	var products []string
	for _, id := range d.Plans {
		var p *bot.Plan
		if err := c.db.Read(func(tx *store.Tx) error { var err error; p, err = tx.Plan(id); return err }); err != nil || p == nil {
			return bot.Errorf(bot.ENOTFOUND, "plan %d is gone", id)
		}
		if p.StripeProductID == "" && c.cfg.Plans != nil {
			if err := c.cfg.Plans.SyncPlan(ctx, p); err != nil {
				return err
			}
			if err := c.saveStripeIDs(p); err != nil {
				return err
			}
		}
		if p.StripeProductID != "" {
			products = append(products, p.StripeProductID)
		}
	}
	return c.cfg.Discounts.SyncDiscount(ctx, d, products)
}

// saveStripeIDs stores the Stripe ids a plan sync got (the price id only
// while the plan's price is still the one synced).
func (c *Console) saveStripeIDs(p *bot.Plan) error {
	return c.db.Write(func(tx *store.Tx) error {
		cur, err := tx.Plan(p.ID)
		if err != nil || cur == nil {
			return err
		}
		cur.StripeProductID = p.StripeProductID
		if cur.PriceMinor == p.PriceMinor && cur.Currency == p.Currency && cur.Interval == p.Interval {
			cur.StripePriceID = p.StripePriceID
		}
		return tx.PutPlan(cur)
	})
}

// codeArchive takes a code out of use: clients can no longer give it, and
// its Stripe promotion code is turned off. Who paid with it keeps it.
func (c *Console) codeArchive(ec echo.Context) error {
	code := strings.ToUpper(ec.Param("code"))
	var d *bot.Discount
	err := c.db.Write(func(tx *store.Tx) error {
		var err error
		if d, err = tx.Discount(code); err != nil || d == nil {
			return err
		}
		d.Archived = true
		return tx.PutDiscount(d)
	})
	if err != nil {
		return c.kit.Internal(ec, "archive code", err)
	}
	if d == nil {
		return c.kit.Fail(ec, http.StatusNotFound, "No such code.")
	}
	if c.cfg.Discounts != nil {
		ctx, cancel := context.WithTimeout(ec.Request().Context(), 20*time.Second)
		defer cancel()
		if err := c.cfg.Discounts.ArchiveDiscount(ctx, d); err != nil {
			c.log.Error("console: archive code in Stripe", "code", d.Code, "err", err)
			return c.kit.RedirectFlash(ec, "/admin/codes", "Code "+d.Code+" archived here, but Stripe refused to turn it off ("+bot.ErrorMessage(err)+"); archive it again to retry.", true)
		}
	}
	return c.kit.RedirectFlash(ec, "/admin/codes", "Code "+d.Code+" archived.", false)
}

func readCodeForm(ec echo.Context) codeForm {
	f := codeForm{
		Code:     strings.ToUpper(strings.TrimSpace(ec.FormValue("code"))),
		Kind:     strings.TrimSpace(ec.FormValue("kind")),
		Value:    strings.TrimSpace(ec.FormValue("value")),
		Currency: strings.ToLower(strings.TrimSpace(ec.FormValue("currency"))),
		Duration: strings.TrimSpace(ec.FormValue("duration")),
		Months:   strings.TrimSpace(ec.FormValue("months")),
		MaxUses:  strings.TrimSpace(ec.FormValue("max_uses")),
		Expires:  strings.TrimSpace(ec.FormValue("expires")),
		Errors:   map[string]string{},
	}
	if form, err := ec.FormParams(); err == nil {
		for _, v := range form["plans"] {
			if id, err := strconv.ParseUint(v, 10, 64); err == nil && !slices.Contains(f.Plans, id) {
				f.Plans = append(f.Plans, id)
			}
		}
	}
	return f
}
