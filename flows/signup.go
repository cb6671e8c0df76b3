package flows

import (
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"nudges/bot"
)

// Payments makes the short links a client pays and manages billing with;
// the payment adapter serves them. Nil means PublicURL + /pay/ or /billing/
// and the token.
type Payments interface {
	PayLink(token string) string
	BillingLink(token string) string
}

// Signup limits of SPEC §4.3.
const (
	NameMin    = 2
	NameMax    = 60
	KeywordMin = 3
	KeywordMax = 20
)

// Signup states and events. The conversation holds the three questions;
// after the plan is picked the client exists, pending, and its status
// (pending → active) carries the rest: awaiting payment, then live.
type (
	signupState string
	signupEvent string
)

const (
	signupName    signupState = "name"
	signupKeyword signupState = "keyword"
	signupPlan    signupState = "plan"

	evSignupStart  signupEvent = "start"
	evSignupNamed  signupEvent = "named"
	evSignupKeyed  signupEvent = "keyed"
	evSignupRekey  signupEvent = "rekey" // the keyword was taken while the plan was asked
	evSignupPicked signupEvent = "picked"
	evSignupQuit   signupEvent = "quit"
)

type signupTransition = bot.Transition[signupState, signupEvent]

// signupFlow: business name → keyword → plan → (client created, pending).
var signupFlow = newStep("signup",
	signupTransition{Event: evSignupStart, Src: []signupState{idle}, Dst: signupName},
	signupTransition{Event: evSignupNamed, Src: []signupState{signupName}, Dst: signupKeyword},
	signupTransition{Event: evSignupKeyed, Src: []signupState{signupKeyword}, Dst: signupPlan},
	signupTransition{Event: evSignupRekey, Src: []signupState{signupPlan}, Dst: signupKeyword},
	signupTransition{Event: evSignupPicked, Src: []signupState{signupPlan}, Dst: idle},
	signupTransition{Event: evSignupQuit, Src: []signupState{signupName, signupKeyword, signupPlan}, Dst: idle},
)

// newPayToken makes the secret in a client's payment and billing links:
// 80 random bits, 16 characters. Tests replace it.
var newPayToken = func() (string, error) {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("pay token: %w", err)
	}
	return strings.ToLower(base32.StdEncoding.EncodeToString(b)), nil
}

// EnsureDefaultPlan creates the Starter plan (9.00 USD a month, 30
// announcements) when the store has no plan at all, so that signup works
// out of the box.
func EnsureDefaultPlan(db bot.Store, now time.Time) error {
	return db.Update(func(tx bot.Tx) error {
		ps, err := tx.Plans()
		if err != nil || len(ps) > 0 {
			return err
		}
		p := &bot.Plan{
			Name: "Starter", Description: "30 announcements a month", PriceMinor: 900,
			Currency: "usd", Interval: bot.Month, Quota: 30, Active: true, CreatedAt: now,
		}
		if err := tx.PutPlan(p); err != nil {
			return fmt.Errorf("create default plan: %w", err)
		}
		return nil
	})
}

// activePlans are the plans a new client may pick, oldest first.
func activePlans(tx bot.Plans) ([]bot.Plan, error) {
	ps, err := tx.Plans()
	if err != nil {
		return nil, fmt.Errorf("load plans: %w", err)
	}
	out := ps[:0]
	for _, p := range ps {
		if p.Active {
			out = append(out, p)
		}
	}
	return out, nil
}

// signup starts the flow, or tells an existing client where it stands.
func (b *Brain) signup(tc *turnCtx) error {
	if tc.client != nil {
		return b.signupExisting(tc)
	}
	plans, err := activePlans(tc.Tx)
	if err != nil {
		return err
	}
	if len(plans) == 0 {
		tc.Conv.ClearStep()
		tc.Say("SignupNoPlans", map[string]any{"Support": b.Support})
		return nil
	}
	tc.Conv.ClearStep()
	if err := signupFlow.fire(tc.Conv, evSignupStart); err != nil {
		return err
	}
	tc.Conv.StepAt = tc.Now
	tc.Say("SignupAskName", map[string]any{"Min": NameMin, "Max": NameMax})
	return nil
}

func (b *Brain) signupExisting(tc *turnCtx) error {
	c := tc.client
	data := map[string]any{"Keyword": c.Keyword, "Name": c.Name, "Status": statusWord(tc.Turn, c.Status)}
	switch c.Status {
	case bot.ClientActive:
		tc.Say("SignupAlreadyLive", data)
	case bot.ClientPending:
		if err := ensurePayToken(tc.Tx, c); err != nil {
			return err
		}
		data["Link"] = b.payLink(c)
		tc.Say("SignupPending", data)
	default:
		tc.Say("SignupAlreadyClient", data)
	}
	return nil
}

// signupStep reads the answer to the question the phone was asked. SIGNUP
// starts over.
func (b *Brain) signupStep(tc *turnCtx) (bool, error) {
	if tc.m.Cmd == CmdSignup {
		return true, b.signup(tc)
	}
	switch signupFlow.current(tc.Conv) {
	case signupName:
		return true, b.signupName(tc)
	case signupKeyword:
		return true, b.signupKeyword(tc)
	case signupPlan:
		return true, b.signupPlan(tc)
	}
	tc.Conv.ClearStep()
	return false, nil
}

// reask answers an invalid answer with its reason, or ends the step at the
// MaxStrikes-th invalid answer in a row.
func (b *Brain) reask(tc *turnCtx, id string, data map[string]any) error {
	tc.Conv.Strikes++
	if tc.Conv.Strikes >= MaxStrikes {
		if err := signupFlow.fire(tc.Conv, evSignupQuit); err != nil {
			return err
		}
		tc.Say("SignupGaveUp", map[string]any{"Count": MaxStrikes})
		return nil
	}
	tc.Say(id, data)
	return nil
}

// advance records a valid answer and moves to the next question.
func advance(tc *turnCtx, event signupEvent) error {
	if err := signupFlow.fire(tc.Conv, event); err != nil {
		return err
	}
	tc.Conv.Strikes = 0
	return nil
}

func (b *Brain) signupName(tc *turnCtx) error {
	name := strings.Join(strings.Fields(tc.m.Raw), " ")
	n := utf8.RuneCountInString(name)
	limits := map[string]any{"Min": NameMin, "Max": NameMax}
	switch {
	case n < NameMin:
		return b.reask(tc, "SignupNameShort", limits)
	case n > NameMax:
		return b.reask(tc, "SignupNameLong", limits)
	case bot.HasControl(name):
		return b.reask(tc, "SignupNameControl", limits)
	}
	if err := advance(tc, evSignupNamed); err != nil {
		return err
	}
	tc.Conv.SetVar("name", name)
	example, err := suggestKeyword(tc.Tx, name)
	if err != nil {
		return err
	}
	tc.Conv.SetVar("example", example)
	tc.Say("SignupAskKeyword", map[string]any{"Name": name, "Example": example, "Min": KeywordMin, "Max": KeywordMax})
	return nil
}

func (b *Brain) signupKeyword(tc *turnCtx) error {
	kw := tc.m.Norm
	data := map[string]any{"Keyword": kw, "Example": tc.Conv.Var("example"), "Min": KeywordMin, "Max": KeywordMax, "Word": SquatWord(kw)}
	reason, err := keywordProblem(tc.Tx, kw)
	if err != nil {
		return err
	}
	if reason != "" {
		return b.reask(tc, reason, data)
	}
	if err := advance(tc, evSignupKeyed); err != nil {
		return err
	}
	tc.Conv.SetVar("keyword", kw)
	plans, err := activePlans(tc.Tx)
	if err != nil {
		return err
	}
	tc.Say("SignupAskPlan", map[string]any{"Keyword": kw, "Plans": planLines(tc.Turn, plans)})
	return nil
}

// keywordProblem is the message id saying why kw cannot be a keyword, ""
// when it can.
func keywordProblem(tx bot.Clients, kw string) (string, error) {
	n := utf8.RuneCountInString(kw)
	switch {
	case n < KeywordMin || n > KeywordMax:
		return "SignupKeywordLength", nil
	case !asciiAlnum(kw):
		return "SignupKeywordShape", nil
	case strings.Trim(kw, "0123456789") == "":
		return "SignupKeywordDigits", nil
	case Reserved(kw):
		return "SignupKeywordReserved", nil
	case SquatWord(kw) != "":
		return "SignupKeywordSquat", nil
	}
	c, err := tx.ClientByKeyword(kw)
	if err != nil {
		return "", fmt.Errorf("keyword %s: %w", kw, err)
	}
	if c != nil {
		return "SignupKeywordTaken", nil
	}
	return "", nil
}

// asciiAlnum: keywords are plain A–Z and digits, so that a subscriber's
// phone types them the same way whatever its keyboard.
func asciiAlnum(s string) bool {
	for _, r := range s {
		if !('A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			return false
		}
	}
	return s != ""
}

// suggestKeyword proposes a free keyword made of the name's letters: the
// whole name if short, else its first word.
func suggestKeyword(tx bot.Clients, name string) (string, error) {
	base := keywordLetters(name)
	if len(base) > 12 {
		first, _, _ := strings.Cut(name, " ")
		base = keywordLetters(first)
	}
	if len(base) > 12 {
		base = base[:12]
	}
	if len(base) < KeywordMin {
		base = "MYLIST"
	}
	for i := 1; i <= 9; i++ {
		cand := base
		if i > 1 {
			cand = base + strconv.Itoa(i)
		}
		reason, err := keywordProblem(tx, cand)
		if err != nil || reason == "" {
			return cand, err
		}
	}
	return base + "2026", nil
}

// keywordLetters keeps s's letters and digits, accents dropped, upper case.
func keywordLetters(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(deaccent.Replace(strings.ToLower(s))) {
		if 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func (b *Brain) signupPlan(tc *turnCtx) error {
	plans, err := activePlans(tc.Tx)
	if err != nil {
		return err
	}
	p, ok := pickPlan(plans, tc.m.Norm)
	code := ""
	if !ok {
		if p, code, err = pickPlanAndCode(tc.Tx, plans, tc.m.Norm); err != nil {
			return err
		}
		ok = code != ""
	}
	if !ok {
		arg := tc.m.Norm
		if utf8.RuneCountInString(arg) > 20 {
			arg = string([]rune(arg)[:20]) + "..."
		}
		return b.reask(tc, "SignupPlanUnknown", map[string]any{"Arg": arg, "Count": len(plans), "Plans": planLines(tc.Turn, plans)})
	}
	kw := tc.Conv.Var("keyword")
	if reason, err := keywordProblem(tc.Tx, kw); err != nil || reason != "" {
		if err != nil {
			return err
		}
		if err := signupFlow.fire(tc.Conv, evSignupRekey); err != nil {
			return err
		}
		tc.Say("SignupKeywordTaken", map[string]any{"Keyword": kw, "Example": tc.Conv.Var("example")})
		return nil
	}
	var d *bot.Discount
	if code != "" {
		var refusal string
		if d, refusal, err = checkCode(tc, code, &p); err != nil || refusal != "" {
			return b.codeStrike(tc, err, plans)
		}
	}
	c, err := b.createClient(tc, p, kw, d)
	if err != nil {
		return err
	}
	if err := signupFlow.fire(tc.Conv, evSignupPicked); err != nil {
		return err
	}
	data, id := planData(tc.Turn, &p), "SignupPayLink"
	if d != nil {
		data, id = discountData(tc.Turn, d, &p), "SignupPayLinkCode"
	}
	data["Keyword"], data["Link"] = c.Keyword, b.payLink(c)
	tc.Say(id, data)
	return nil
}

// pickPlan reads the answer to "which plan?": its number or its name.
func pickPlan(plans []bot.Plan, answer string) (bot.Plan, bool) {
	if n, err := strconv.Atoi(answer); err == nil {
		if n >= 1 && n <= len(plans) {
			return plans[n-1], true
		}
		return bot.Plan{}, false
	}
	for _, p := range plans {
		if strings.EqualFold(p.Name, answer) {
			return p, true
		}
	}
	return bot.Plan{}, false
}

func (b *Brain) createClient(tc *turnCtx, p bot.Plan, kw string, d *bot.Discount) (*bot.Client, error) {
	c := &bot.Client{
		Phone: tc.Conv.Phone, Name: tc.Conv.Var("name"), Keyword: kw,
		Status: bot.ClientPending, PlanID: p.ID, Locale: tc.Lang(), CreatedAt: tc.Now,
	}
	if d != nil {
		c.Discount = d.Code
	}
	if to, err := bot.ParsePhone(tc.In.To); err == nil {
		c.Number = string(to)
	}
	if err := ensurePayToken(tc.Tx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// ensurePayToken gives c a payment-link token if it has none, and saves c.
func ensurePayToken(tx bot.Clients, c *bot.Client) error {
	if c.PayToken == "" {
		tok, err := newPayToken()
		if err != nil {
			return err
		}
		c.PayToken = tok
	}
	if err := tx.PutClient(c); err != nil {
		return fmt.Errorf("save client %s: %w", c.Phone, err)
	}
	return nil
}

func (b *Brain) payLink(c *bot.Client) string {
	if b.Payments != nil {
		return b.Payments.PayLink(c.PayToken)
	}
	return strings.TrimRight(b.PublicURL, "/") + "/pay/" + c.PayToken
}

// newBillToken makes the secret of a billing link; tests make it predictable.
var newBillToken = newPayToken

// billingLink makes c a fresh billing link, valid for bot.BillLinkTTL, and
// saves c: the link before it stops working. c must have a pay token.
func (b *Brain) billingLink(tx bot.Tx, c *bot.Client, now time.Time) (string, error) {
	secret, err := newBillToken()
	if err != nil {
		return "", err
	}
	token := c.NewBillLink(secret, now)
	if err := tx.PutClient(c); err != nil {
		return "", fmt.Errorf("save billing link of %s: %w", c.Phone, err)
	}
	if b.Payments != nil {
		return b.Payments.BillingLink(token), nil
	}
	return strings.TrimRight(b.PublicURL, "/") + "/billing/" + token, nil
}
