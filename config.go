package main

import (
	"fmt"
	"math"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"nudges/bot"
	"nudges/locales"
	"nudges/store/kv/kvopen"
	"nudges/webhooks/hookout"
)

// config is everything the environment sets (SPEC §2).
type config struct {
	Addr          string
	DBPath        string
	Store         kvopen.Config // NUDGES_STORE: bolt:// + DBPath by default
	PublicURL     string
	AdminPhones   []bot.Phone
	DefaultLocale string
	SendRate      float64
	LocalRate     float64 // NUDGES_LOCAL_RATE: a client's own local number
	TollFreeRate  float64 // NUDGES_TOLLFREE_RATE: a client's own toll-free number
	Insecure      bool
	Support       string         // NUDGES_SUPPORT: the contact HELP gives
	SendWindow    bot.Window     // NUDGES_SEND_WINDOW: recipients' local hours for announcements
	TimeZone      *time.Location // NUDGES_TIMEZONE: for numbers that tell no zone
	// OutboxKeep is how long a settled announcement keeps its
	// per-recipient rows before they are folded into its counts.
	OutboxKeep time.Duration

	TwilioSID, TwilioToken, TwilioFrom, TwilioService, TwilioAPIBase string
	StripeKey, StripeWebhookSecret, StripeAPIBase                    string
	TwilioMessagingBase                                              string // TWILIO_MESSAGING_API_BASE
	// StripeConnectSecret is STRIPE_CONNECT_WEBHOOK_SECRET: the Connect
	// endpoint's signing secret, when it is not the platform endpoint's.
	StripeConnectSecret string
	// NumberGrace is how long a canceled client keeps its own number.
	NumberGrace time.Duration

	MetricsToken string // NUDGES_METRICS_TOKEN: /metrics for non-loopback scrapers
	// TrustedProxies (NUDGES_TRUSTED_PROXIES) are the reverse proxies whose
	// X-Forwarded-For is believed (click counting, the console's rate limits).
	TrustedProxies []*net.IPNet
	// WebhookAllow (NUDGES_WEBHOOK_ALLOW) are the addresses on the
	// operator's own network that outbound webhooks may reach.
	WebhookAllow []netip.Prefix

	// PlatformFee is NUDGES_PLATFORM_FEE: the percent of a paid list's
	// payments the platform keeps.
	PlatformFee float64
}

// twilio reports whether SMS go through Twilio (else the console driver).
func (c config) twilio() bool { return c.TwilioSID != "" && c.TwilioToken != "" }

// stripe reports whether real Stripe replaces dev checkout.
func (c config) stripe() bool { return c.StripeKey != "" }

// loadConfig reads and checks the environment. Its errors are one line
// saying what to fix.
func loadConfig(getenv func(string) string) (config, error) {
	env := func(k, def string) string {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v
		}
		return def
	}
	addr := env("NUDGES_ADDR", "127.0.0.1:8080")
	c := config{
		Addr:          addr,
		DBPath:        env("NUDGES_DB", "./data/nudges.db"),
		PublicURL:     strings.TrimRight(env("NUDGES_PUBLIC_URL", defaultPublicURL(addr)), "/"),
		DefaultLocale: env("NUDGES_DEFAULT_LOCALE", bot.English),
		Insecure:      env("NUDGES_INSECURE_DEV", "") == "1",
		TwilioSID:     env("TWILIO_ACCOUNT_SID", ""),
		TwilioToken:   env("TWILIO_AUTH_TOKEN", ""),
		TwilioFrom:    env("TWILIO_FROM_NUMBER", ""),
		TwilioService: env("TWILIO_MESSAGING_SERVICE_SID", ""),
		TwilioAPIBase: strings.TrimRight(env("TWILIO_API_BASE", "https://api.twilio.com"), "/"),

		TwilioMessagingBase: strings.TrimRight(env("TWILIO_MESSAGING_API_BASE", "https://messaging.twilio.com"), "/"),
		StripeKey:           env("STRIPE_SECRET_KEY", ""),
		StripeAPIBase:       strings.TrimRight(env("STRIPE_API_BASE", ""), "/"),

		StripeWebhookSecret: env("STRIPE_WEBHOOK_SECRET", ""),
		StripeConnectSecret: env("STRIPE_CONNECT_WEBHOOK_SECRET", ""),
		MetricsToken:        env("NUDGES_METRICS_TOKEN", ""),
	}
	checks := []func(*config, func(string, string) string) error{
		checkPublicURL, checkAdmins, checkLocale, checkRate, checkKeep, checkTwilio, checkStripe, checkAddr, checkFee,
		checkWindow, checkStore, checkProxies, checkNumbers, checkWebhookAllow,
	}
	for _, check := range checks {
		if err := check(&c, env); err != nil {
			return c, err
		}
	}
	return c, nil
}

// checkStore reads NUDGES_STORE, bolt:// + NUDGES_DB by default; a bbolt
// URL sets DBPath. Each mistake in the URL is one line.
func checkStore(c *config, env func(string, string) string) error {
	s := env("NUDGES_STORE", "")
	if s == "" {
		c.Store = kvopen.Config{Kind: kvopen.Bolt, Path: c.DBPath}
		return nil
	}
	if db := env("NUDGES_DB", ""); db != "" {
		return fmt.Errorf("NUDGES_STORE and NUDGES_DB are both set: keep one (NUDGES_STORE=bolt://%s is the same as NUDGES_DB=%s)", db, db)
	}
	cfg, err := kvopen.Parse(s)
	if err != nil {
		return err
	}
	c.Store = cfg
	if cfg.Kind == kvopen.Bolt {
		c.DBPath = cfg.Path
	}
	return nil
}

// defaultPublicURL is http://localhost with the port of the listen address,
// so a local instance on another port still checks signatures and builds
// links right.
func defaultPublicURL(addr string) string {
	if _, port, err := net.SplitHostPort(addr); err == nil && port != "" && port != "0" {
		return "http://localhost:" + port
	}
	return "http://localhost:8080"
}

func checkPublicURL(c *config, _ func(string, string) string) error {
	u, err := url.Parse(c.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("NUDGES_PUBLIC_URL %q must be an http(s) URL like https://sms.example.com", c.PublicURL)
	}
	return nil
}

func checkAdmins(c *config, env func(string, string) string) error {
	for _, s := range strings.Split(env("NUDGES_ADMIN_PHONES", ""), ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		p, err := bot.ParsePhone(s)
		if err != nil || string(p) != s {
			return fmt.Errorf("NUDGES_ADMIN_PHONES: %q is not an E.164 phone number (write it like +15551234567)", s)
		}
		c.AdminPhones = append(c.AdminPhones, p)
	}
	return nil
}

func checkLocale(c *config, _ func(string, string) string) error {
	l := locales.LangOf(c.DefaultLocale)
	if l == "" {
		return fmt.Errorf("NUDGES_DEFAULT_LOCALE %q is not supported; use one of %s", c.DefaultLocale, strings.Join(locales.Languages, ", "))
	}
	c.DefaultLocale = l
	return nil
}

// checkRate reads each kind of sender's segments per second.
func checkRate(c *config, env func(string, string) string) error {
	for _, r := range []struct {
		key, def, hint string
		to             *float64
	}{
		{"NUDGES_SEND_RATE", "1", "1 for a US long code", &c.SendRate},
		{"NUDGES_LOCAL_RATE", "1", "1 for a US long code", &c.LocalRate},
		{"NUDGES_TOLLFREE_RATE", "3", "3 for a verified US toll-free number", &c.TollFreeRate},
	} {
		s := env(r.key, r.def)
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(v) || v <= 0 || v > 10000 {
			return fmt.Errorf("%s %q must be a number of segments per second above 0 and at most 10000 (%s)", r.key, s, r.hint)
		}
		*r.to = v
	}
	return nil
}

func checkFee(c *config, env func(string, string) string) error {
	s := env("NUDGES_PLATFORM_FEE", "10")
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || f < 0 || f > 100 || math.Round(f*100) != f*100 {
		return fmt.Errorf("NUDGES_PLATFORM_FEE %q must be a percent from 0 to 100 with at most 2 decimals (10 keeps 10%% of paid lists' payments)", s)
	}
	c.PlatformFee = f
	return nil
}

func checkKeep(c *config, env func(string, string) string) error {
	s := env("NUDGES_OUTBOX_KEEP", "720h")
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return fmt.Errorf("NUDGES_OUTBOX_KEEP %q must be a duration like 720h (30 days) or 0 to fold rows as soon as settled", s)
	}
	c.OutboxKeep = d
	return nil
}

func checkTwilio(c *config, _ func(string, string) string) error {
	switch {
	case (c.TwilioSID == "") != (c.TwilioToken == ""):
		return fmt.Errorf("set both TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN, or neither (console SMS driver)")
	case c.twilio() && c.TwilioFrom == "" && c.TwilioService == "":
		return fmt.Errorf("TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID is required with Twilio credentials")
	case c.TwilioFrom != "":
		p, err := bot.ParsePhone(c.TwilioFrom)
		if err != nil || string(p) != c.TwilioFrom {
			return fmt.Errorf("TWILIO_FROM_NUMBER %q is not an E.164 phone number (write it like +15551234567)", c.TwilioFrom)
		}
	}
	if u, err := url.Parse(c.TwilioAPIBase); err != nil || u.Host == "" {
		return fmt.Errorf("TWILIO_API_BASE %q must be a URL like https://api.twilio.com", c.TwilioAPIBase)
	}
	return nil
}

func checkStripe(c *config, _ func(string, string) string) error {
	if c.StripeKey != "" && c.StripeWebhookSecret == "" {
		return fmt.Errorf("STRIPE_WEBHOOK_SECRET (whsec_…) is required when STRIPE_SECRET_KEY is set")
	}
	if c.StripeKey == "" && c.StripeWebhookSecret != "" {
		return fmt.Errorf("STRIPE_WEBHOOK_SECRET is set but STRIPE_SECRET_KEY is not: set the key for real Stripe, or unset both for dev checkout")
	}
	if c.StripeWebhookSecret != "" && !strings.HasPrefix(c.StripeWebhookSecret, "whsec_") {
		return fmt.Errorf("STRIPE_WEBHOOK_SECRET must start with whsec_ (the signing secret of the webhook endpoint)")
	}
	if c.StripeConnectSecret != "" && (c.StripeKey == "" || !strings.HasPrefix(c.StripeConnectSecret, "whsec_")) {
		return fmt.Errorf("STRIPE_CONNECT_WEBHOOK_SECRET must start with whsec_ (the Connect endpoint's signing secret) and needs STRIPE_SECRET_KEY")
	}
	return nil
}

// checkAddr refuses to serve unsigned webhooks beyond this machine.
func checkAddr(c *config, _ func(string, string) string) error {
	host, _, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return fmt.Errorf("NUDGES_ADDR %q must be host:port, like 127.0.0.1:8080", c.Addr)
	}
	if c.TwilioToken != "" || c.Insecure || loopback(host) {
		return nil
	}
	return fmt.Errorf("NUDGES_ADDR %s is not loopback and TWILIO_AUTH_TOKEN is unset, so anyone could post fake SMS: set the token, or NUDGES_INSECURE_DEV=1", c.Addr)
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkProxies reads NUDGES_TRUSTED_PROXIES: comma-separated CIDRs, none
// by default (then no forwarded address is believed, loopback included).
func checkProxies(c *config, env func(string, string) string) error {
	s := env("NUDGES_TRUSTED_PROXIES", "")
	if s == "" {
		return nil
	}
	for _, part := range strings.Split(s, ",") {
		_, n, err := net.ParseCIDR(strings.TrimSpace(part))
		if err != nil {
			return fmt.Errorf("NUDGES_TRUSTED_PROXIES: %q is not a CIDR like 127.0.0.1/32 or 10.0.0.0/8 (comma-separated)", strings.TrimSpace(part))
		}
		c.TrustedProxies = append(c.TrustedProxies, n)
	}
	return nil
}

// checkWebhookAllow reads NUDGES_WEBHOOK_ALLOW: comma-separated CIDRs
// that webhook endpoints may resolve to although they are not public.
func checkWebhookAllow(c *config, env func(string, string) string) error {
	var err error
	c.WebhookAllow, err = hookout.ParseAllow(env("NUDGES_WEBHOOK_ALLOW", ""))
	return err
}

// checkWindow reads the support contact, the send window (on by default
// when real SMS go out, off with the console driver) and the fallback zone.
func checkWindow(c *config, env func(string, string) string) error {
	c.Support = env("NUDGES_SUPPORT", c.PublicURL)
	def := "off"
	if c.twilio() {
		def = bot.DefaultWindow.String()
	}
	w, err := bot.ParseWindow(env("NUDGES_SEND_WINDOW", def))
	if err != nil {
		return fmt.Errorf("NUDGES_SEND_WINDOW: %w", err)
	}
	c.SendWindow = w
	name := env("NUDGES_TIMEZONE", "America/New_York")
	if c.TimeZone, err = time.LoadLocation(name); err != nil || name == "Local" {
		return fmt.Errorf("NUDGES_TIMEZONE %q is not an IANA time zone name like America/New_York", name)
	}
	return nil
}

// checkNumbers reads what clients' own numbers need (§11): the Messaging
// API's base and the grace of a canceled client (checkRate reads their
// kinds' rates).
func checkNumbers(c *config, env func(string, string) string) error {
	if u, err := url.Parse(c.TwilioMessagingBase); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("TWILIO_MESSAGING_API_BASE %q must be a URL like https://messaging.twilio.com", c.TwilioMessagingBase)
	}
	s := env("NUDGES_NUMBER_GRACE", "720h")
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return fmt.Errorf("NUDGES_NUMBER_GRACE %q must be a duration like 720h (30 days) or 0 to release at once", s)
	}
	c.NumberGrace = d
	return nil
}
