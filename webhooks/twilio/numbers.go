package twilio

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"
	messaging "github.com/twilio/twilio-go/rest/messaging/v1"

	"nudges/bot"
	"nudges/webhooks/netguard"
)

// DefaultMessagingAPIBase is where Messaging API calls (Messaging Services,
// toll-free verifications) go unless TWILIO_MESSAGING_API_BASE says
// otherwise.
const DefaultMessagingAPIBase = "https://messaging.twilio.com"

// Twilio error codes provisioning handles.
const (
	codeAlreadyInService = 21710 // the number is already in this Messaging Service
)

// Numbers buys, verifies, assigns and releases clients' own numbers on
// Twilio (§11). Every step is found again by its FriendlyName tag ("Nudges
// {client phone}") before anything is created, so a crash at any point and
// a retry never buy a second number for the same client.
type Numbers struct {
	cfg      Config
	api, msg http.RoundTripper // rewrite to APIBase / MessagingAPIBase → guard → transport
}

var (
	_ bot.NumberProvider   = (*Numbers)(nil)
	_ bot.TollFreeVerifier = (*Numbers)(nil)
	_ bot.NumberAssigner   = (*Numbers)(nil)
)

// NewNumbers checks cfg and returns the provisioning client. Inside a test
// binary TWILIO_API_BASE must be loopback, and no request leaves the
// machine.
func NewNumbers(cfg Config) (*Numbers, error) {
	base, err := cfg.validateSender()
	if err != nil {
		return nil, err
	}
	mbase, err := url.Parse(cfg.messagingBase())
	if err != nil || (mbase.Scheme != "http" && mbase.Scheme != "https") || mbase.Host == "" {
		return nil, fmt.Errorf("twilio: TWILIO_MESSAGING_API_BASE %q must be an http(s) URL like %s", cfg.MessagingAPIBase, DefaultMessagingAPIBase)
	}
	if err := netguard.CheckBase(base.String()); err != nil {
		return nil, fmt.Errorf("TWILIO_API_BASE: %w", err)
	}
	// The Messaging API base is not refused here: a test that points only
	// TWILIO_API_BASE at a fake still starts, and the loopback guard of
	// the transport fails each Messaging API call it would make.
	return &Numbers{cfg: cfg,
		api: &rewriteTransport{base: base, next: netguard.ForProvider()},
		msg: &rewriteTransport{base: mbase, next: netguard.ForProvider()}}, nil
}

// Tag is the FriendlyName that marks a client's Messaging Service and
// number: "Nudges {client phone}".
func Tag(client bot.Phone) string { return "Nudges " + string(client) }

// sdk is a twilio-go client whose requests go through next, tied to ctx.
func (n *Numbers) sdk(ctx context.Context, next http.RoundTripper) *client.Client {
	sdk := &client.Client{
		Credentials: client.NewCredentials(n.cfg.AccountSID, n.cfg.AuthToken),
		HTTPClient: &http.Client{
			Transport: ctxTransport{ctx: ctx, next: next},
			Timeout:   n.cfg.timeout(),
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
	}
	sdk.SetAccountSid(n.cfg.AccountSID)
	return sdk
}

func (n *Numbers) rest(ctx context.Context) *openapi.ApiService {
	return openapi.NewApiServiceWithClient(n.sdk(ctx, n.api))
}

func (n *Numbers) messaging(ctx context.Context) *messaging.ApiService {
	return messaging.NewApiServiceWithClient(n.sdk(ctx, n.msg))
}

// ctxTransport ties each request to the caller's context (the SDK takes
// none).
type ctxTransport struct {
	ctx  context.Context
	next http.RoundTripper
}

func (t ctxTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return t.next.RoundTrip(req.WithContext(t.ctx))
}

// Provision implements bot.NumberProvider: the client's Messaging Service
// (found by its tag, else created), its number (found by its tag, else
// searched for and bought with the tag), and the number in the service.
func (n *Numbers) Provision(ctx context.Context, c bot.Client) (bot.OwnNumber, error) {
	own := bot.OwnNumber{Kind: bot.NumberLocal}
	if c.Own != nil {
		own = *c.Own
	}
	svc, err := n.service(ctx, c.Phone)
	if err != nil {
		return own, err
	}
	own.ServiceSID = svc
	sid, phone, err := n.tagged(ctx, c.Phone)
	if err == nil && sid == "" {
		sid, phone, err = n.buy(ctx, c.Phone, own.Kind)
	}
	if err != nil {
		return own, err
	}
	own.PhoneSID, own.Phone = sid, phone
	if err := n.addToService(ctx, svc, sid); err != nil {
		return own, err
	}
	own.State = bot.NumberVerifying
	return own, nil
}

// service returns the sid of the client's Messaging Service, creating it
// when no service carries its tag.
func (n *Numbers) service(ctx context.Context, client bot.Phone) (string, error) {
	api := n.messaging(ctx)
	list, err := api.ListService(new(messaging.ListServiceParams).SetPageSize(1000))
	if err != nil {
		return "", fmt.Errorf("list Messaging Services: %w", err)
	}
	for _, s := range list {
		if s.FriendlyName != nil && *s.FriendlyName == Tag(client) && s.Sid != nil {
			return *s.Sid, nil
		}
	}
	p := new(messaging.CreateServiceParams).SetFriendlyName(Tag(client)).
		SetInboundRequestUrl(n.cfg.publicURL() + PathSMS).SetStatusCallback(n.cfg.StatusCallbackURL())
	s, err := api.CreateService(p)
	if err != nil {
		return "", fmt.Errorf("create Messaging Service: %w", err)
	}
	if s.Sid == nil {
		return "", errors.New("create Messaging Service: Twilio answered without a sid")
	}
	return *s.Sid, nil
}

// tagged finds a number of the account already tagged for the client.
func (n *Numbers) tagged(ctx context.Context, client bot.Phone) (sid string, phone bot.Phone, err error) {
	list, err := n.rest(ctx).ListIncomingPhoneNumber(new(openapi.ListIncomingPhoneNumberParams).
		SetFriendlyName(Tag(client)).SetPageSize(20).SetLimit(20))
	if err != nil {
		return "", "", fmt.Errorf("look for the client's number: %w", err)
	}
	for _, in := range list {
		if in.Sid != nil && in.PhoneNumber != nil {
			return *in.Sid, bot.Phone(*in.PhoneNumber), nil
		}
	}
	return "", "", nil
}

// buy searches for a number of kind and buys it with the client's tag.
func (n *Numbers) buy(ctx context.Context, client bot.Phone, kind bot.NumberKind) (string, bot.Phone, error) {
	phone, err := n.search(ctx, client, kind)
	if err != nil {
		return "", "", err
	}
	in, err := n.rest(ctx).CreateIncomingPhoneNumber(new(openapi.CreateIncomingPhoneNumberParams).
		SetPhoneNumber(phone).SetFriendlyName(Tag(client)))
	if err != nil {
		return "", "", fmt.Errorf("buy %s: %w", phone, err)
	}
	if in.Sid == nil || in.PhoneNumber == nil {
		return "", "", fmt.Errorf("buy %s: Twilio answered without a sid", phone)
	}
	return *in.Sid, bot.Phone(*in.PhoneNumber), nil
}

// ErrNoNumber is a search that found no number for sale.
var ErrNoNumber = errors.New("no SMS-capable number is available")

// search finds an SMS-capable number for sale: toll-free, or local in the
// client's own area code, then near the client's phone, then anywhere.
func (n *Numbers) search(ctx context.Context, client bot.Phone, kind bot.NumberKind) (string, error) {
	api := n.rest(ctx)
	if kind == bot.NumberTollFree {
		list, err := api.ListAvailablePhoneNumberTollFree("US", new(openapi.ListAvailablePhoneNumberTollFreeParams).
			SetSmsEnabled(true).SetPageSize(5).SetLimit(5))
		if err != nil {
			return "", fmt.Errorf("search toll-free numbers: %w", err)
		}
		for _, a := range list {
			if a.PhoneNumber != nil {
				return *a.PhoneNumber, nil
			}
		}
		return "", ErrNoNumber
	}
	for _, filter := range localFilters(client) {
		list, err := api.ListAvailablePhoneNumberLocal("US", filter.SetSmsEnabled(true).SetPageSize(5).SetLimit(5))
		if err != nil {
			return "", fmt.Errorf("search local numbers: %w", err)
		}
		for _, a := range list {
			if a.PhoneNumber != nil {
				return *a.PhoneNumber, nil
			}
		}
	}
	return "", ErrNoNumber
}

// localFilters are the searches in order: the client's area code, near
// its phone (both only for a US phone), then any.
func localFilters(client bot.Phone) []*openapi.ListAvailablePhoneNumberLocalParams {
	var out []*openapi.ListAvailablePhoneNumberLocalParams
	if s := string(client); len(s) == 12 && s[:2] == "+1" {
		if code, err := strconv.Atoi(s[2:5]); err == nil {
			out = append(out, new(openapi.ListAvailablePhoneNumberLocalParams).SetAreaCode(code),
				new(openapi.ListAvailablePhoneNumberLocalParams).SetNearNumber(s))
		}
	}
	return append(out, new(openapi.ListAvailablePhoneNumberLocalParams))
}

// addToService puts the number in the Messaging Service; already being
// there is success.
func (n *Numbers) addToService(ctx context.Context, service, numberSID string) error {
	_, err := n.messaging(ctx).CreatePhoneNumber(service, new(messaging.CreatePhoneNumberParams).SetPhoneNumberSid(numberSID))
	var te *client.TwilioRestError
	if errors.As(err, &te) && te.Code == codeAlreadyInService {
		return nil
	}
	if err != nil {
		return fmt.Errorf("add the number to its Messaging Service: %w", err)
	}
	return nil
}

// Release implements bot.NumberProvider: DELETE IncomingPhoneNumbers/{sid}.
// A number already gone (404) counts as released.
func (n *Numbers) Release(ctx context.Context, own bot.OwnNumber) error {
	if own.PhoneSID == "" {
		return nil
	}
	err := n.rest(ctx).DeleteIncomingPhoneNumber(own.PhoneSID, nil)
	var te *client.TwilioRestError
	if errors.As(err, &te) && te.Status == http.StatusNotFound {
		return nil
	}
	if err != nil {
		return fmt.Errorf("release %s: %w", own.Phone, err)
	}
	return nil
}
