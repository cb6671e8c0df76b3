// Command nudges is the whole service in one binary: `nudges` (or `nudges
// serve`) runs it, `nudges chat PHONE` texts it from a terminal, `nudges
// cert` makes etcd TLS certificates, `nudges healthcheck` asks a running
// one whether it is ready, `nudges version` prints the version, `nudges
// help` all of them (cli.go). Configuration is the environment
// (docs/configuration.md).
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"
	_ "time/tzdata" // client time zones do not depend on the host's zoneinfo

	"github.com/labstack/echo/v4"

	"nudges/admin"
	"nudges/bot"
	"nudges/flows"
	"nudges/locales"
	"nudges/store"
	"nudges/store/kv/kvopen"
	"nudges/webhooks/api"
	"nudges/webhooks/console"
	"nudges/webhooks/hookout"
	"nudges/webhooks/metrics"
	"nudges/webhooks/stripe"
	"nudges/webhooks/twilio"
	"nudges/webhooks/web"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "nudges:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if text, ok := helpFor(args); ok {
		fmt.Print(text)
		return nil
	}
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		cfg, err := loadConfig(os.Getenv)
		if err != nil {
			return err
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		defer watchdog(ctx, stopLimit)()
		return serve(ctx, cfg)
	case "chat":
		return chat(args)
	case "migrate":
		return migrate(args)
	case "cert":
		return cert(args)
	case "healthcheck":
		return healthcheck(args)
	case "version", "--version", "-v":
		fmt.Println("nudges", version())
		return nil
	}
	return fmt.Errorf("unknown command %q: nudges help lists the commands", cmd)
}

// buildVersion is set at build time with -ldflags "-X main.buildVersion=v1.2".
var buildVersion string

// version is buildVersion, else the module version, else the git commit
// the binary was built from (Go stamps it in a checkout), else "dev".
func version() string {
	if buildVersion != "" {
		return buildVersion
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	rev, dirty := "", ""
	for _, s := range bi.Settings {
		switch {
		case s.Key == "vcs.revision" && len(s.Value) >= 12:
			rev = s.Value[:12]
		case s.Key == "vcs.modified" && s.Value == "true":
			dirty = "-dirty"
		}
	}
	if rev == "" {
		return "dev"
	}
	return "dev-" + rev + dirty
}

// app is the wired service.
type app struct {
	cfg    config
	db     *store.DB
	tr     *locales.Catalog
	engine *bot.Engine
	echo   *echo.Echo
	limits httpLimits // zero: defaultLimits
	// workers run until the serve context ends (the dispatcher).
	workers []func(ctx context.Context) error
	// handover: several processes share the store, so the leader's work
	// (the dispatcher) stops, and leadership is resigned, as soon as a stop
	// begins rather than after the HTTP requests in flight.
	handover bool
	lead     leaderWork // what only the elected process runs
	// stopBegan is when run began to stop: each later step of the stop
	// has until a deadline counted from it.
	stopBegan time.Time
	// numbers provisions, verifies and releases clients' own numbers on
	// Twilio (nil with the console driver); it runs in the leader.
	numbers *bot.NumberWorker
	// provider is Twilio's side of own numbers (nil with the console driver).
	provider *twilio.Numbers
}

// serve runs the service until ctx ends, then drains and closes cleanly.
func serve(ctx context.Context, cfg config) error {
	tuneGC()
	db, err := openDB(cfg.Store)
	if err != nil {
		return err
	}
	closeBy := time.Now() // when a stop's deadline for the store's close ends
	defer func() { closeWithin(db, max(closeGrace, time.Until(closeBy))) }()
	a, err := build(cfg, db)
	if err != nil {
		return err
	}
	if work := kvopen.Maintenance(cfg.Store, db.KV()); work != nil {
		a.workers = append(a.workers, work)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (set NUDGES_ADDR to a free address)", cfg.Addr, err)
	}
	slog.Info("nudges serving", "version", version(), "addr", ln.Addr().String(), "store", storeName(cfg), "public_url", cfg.PublicURL,
		"sms", map[bool]string{true: "twilio", false: "console"}[cfg.twilio()],
		"payments", map[bool]string{true: "stripe", false: "dev checkout"}[cfg.stripe()])
	if hint := consoleHint(cfg); hint != "" {
		slog.Info(hint)
	}
	err = a.run(ctx, ln)
	closeBy = a.stopBegan.Add(a.limits.Grace + workerGrace + closeGrace)
	return err
}

// run serves HTTP and the workers until ctx ends: then it stops taking
// requests, lets in-flight ones finish, stops the workers and waits for every
// one of them (the dispatcher records its last sends) before returning, so
// the database is closed only after all work is committed.
func (a *app) run(ctx context.Context, ln net.Listener) error {
	if a.limits == (httpLimits{}) {
		a.limits = defaultLimits
	}
	srv := newServer(a.echo, a.limits)
	workCtx, stopWork := context.WithCancel(context.Background())
	workers := a.workers
	if a.lead.run != nil {
		leadCtx := workCtx
		if a.handover {
			var stopLead context.CancelFunc
			leadCtx, stopLead = context.WithCancel(workCtx)
			defer context.AfterFunc(ctx, stopLead)()
		}
		workers = append(workers, func(context.Context) error { return a.lead.run(leadCtx) })
	}
	workDone := make(chan error, len(workers))
	for _, w := range workers {
		go func() { workDone <- w(workCtx) }()
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	var first error
	select {
	case <-ctx.Done():
	case first = <-served:
	}
	slog.Info("nudges stopping")
	a.stopBegan = time.Now()
	workersBy := a.stopBegan.Add(a.limits.Grace + workerGrace)
	shutdown(srv, a.limits.Grace)
	stopWork()
	if err := waitWorkers(workDone, len(workers), time.Until(workersBy)); first == nil {
		first = err
	}
	if errors.Is(first, http.ErrServerClosed) {
		first = nil
	}
	return first
}

// build wires the store, the engine, the dispatcher and the adapters.
func build(cfg config, db *store.DB) (*app, error) {
	tr, err := locales.Load()
	if err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, db: db, tr: tr, echo: newEcho()}
	a.echo.IPExtractor = web.ClientIP(cfg.TrustedProxies) // the console's rate limits
	obs := metrics.New(db, cfg.MetricsToken, version())
	obs.Register(a.echo)
	db.SetObserver(obs)
	window := bot.NewSendWindow(cfg.SendWindow, cfg.TimeZone)
	brain := &flows.Brain{ServiceNumber: serviceNumber(cfg), PublicURL: cfg.PublicURL, Support: cfg.Support,
		Zone: cfg.TimeZone, ClientZone: window.ClientZone, Window: window,
		PlatformFee: cfg.PlatformFee, DevNumbers: !cfg.twilio()} // dev mode: clients' own numbers are fictional, ready at once
	a.engine = &bot.Engine{Store: db, Brain: brain, Clock: bot.SystemClock{}, T: tr, DefaultLocale: cfg.DefaultLocale,
		Observer: obs}

	tcfg := twilio.Config{AccountSID: cfg.TwilioSID, AuthToken: cfg.TwilioToken, From: cfg.TwilioFrom,
		MessagingServiceSID: cfg.TwilioService, APIBase: cfg.TwilioAPIBase, MessagingAPIBase: cfg.TwilioMessagingBase,
		PublicURL: cfg.PublicURL}
	var sender bot.Sender = console.New(slog.Default(), console.DefaultKeep)
	if cfg.twilio() {
		if sender, err = twilio.NewClient(tcfg); err != nil {
			return nil, err
		}
	}
	outbox := bot.NewLifecycle(db, tr)
	outbox.Window = window
	disp := bot.NewDispatcher(outbox, sender, console.NewCapture(slog.Default(), console.DefaultKeep), cfg.SendRate)
	disp.Rates = bot.SenderRates{Service: cfg.SendRate, Local: cfg.LocalRate, TollFree: cfg.TollFreeRate, Store: db}.Rate
	fan := &bot.FanOut{Store: db, Compose: flows.Composer(tr), Report: outbox.Report, Due: window.Due,
		Halt: outbox.Halt, Clock: bot.SystemClock{}, Notify: disp.Kick}
	wake := func() { disp.Kick(); fan.Kick() }
	a.engine.Notify = wake
	disp.Observer = obs
	sched := flows.NewScheduler(db, bot.SystemClock{}, tr, wake, brain)
	hookQ := &bot.HookQueue{Store: db, T: tr, Default: cfg.DefaultLocale}
	hookWork := hookout.NewWorker(hookQ, hookout.Guard{Allow: cfg.WebhookAllow})
	a.lead = leaderWork{db: db, outbox: outbox, disp: disp, fan: fan, others: []func(context.Context) error{sched.Run, a.prune, hookWork.Run}}
	if err := a.ownNumbers(tcfg, brain); err != nil {
		return nil, err
	}
	a.lead.run, a.handover = a.lead.elect(db, cfg)

	if err := flows.EnsureDefaultPlan(db, time.Now().UTC()); err != nil {
		return nil, fmt.Errorf("default plan: %w", err)
	}
	billing := flows.NewBilling(db, bot.SystemClock{}, tr, disp.Kick, brain)
	pay, err := stripe.New(stripe.Config{SecretKey: cfg.StripeKey, WebhookSecret: cfg.StripeWebhookSecret,
		ConnectWebhookSecret: cfg.StripeConnectSecret, APIBase: cfg.StripeAPIBase, PublicURL: cfg.PublicURL, PlatformFee: cfg.PlatformFee}, db, billing, bot.SystemClock{}, tr)
	if err != nil {
		return nil, err
	}
	brain.Payments = pay
	pay.Register(a.echo)

	if cfg.twilio() {
		if a.engine.Pictures, err = pictures(tcfg, db); err != nil {
			return nil, err
		}
	}
	wcfg := web.Config{Store: db, Links: db, Pictures: db, T: tr, Number: brain.NumberOf, PublicURL: cfg.PublicURL,
		TrustedProxies: cfg.TrustedProxies}
	if a.provider != nil { // a nil *Numbers in the interface would count as set
		wcfg.Registrar = a.provider
	}
	pages, err := web.New(wcfg)
	if err != nil {
		return nil, err
	}
	pages.Register(a.echo)

	hooks := twilio.NewWebhooks(tcfg, a.engine, outbox)
	hooks.Observer = obs
	hooks.Register(a.echo)
	if !cfg.twilio() {
		if err := hooks.RegisterDev(a.echo, store.ChatFeed{DB: db}); err != nil {
			return nil, err
		}
	}
	acfg := admin.Config{
		AdminPhones: cfg.AdminPhones, PublicURL: cfg.PublicURL, DevMode: !cfg.twilio(),
		DefaultLocale: cfg.DefaultLocale, T: tr, Handler: a.engine, Kick: disp.Kick,
		KeywordClash: flows.SquatWord, WebhookAllow: cfg.WebhookAllow,
	}
	if plans := pay.API(); plans != nil { // a nil *API in the interface would count as set
		acfg.Plans, acfg.Discounts = plans, plans
	}
	a.lead.others = append(a.lead.others, paidCanceler(db, pay.API()).Run)
	acfg.LocalRate, acfg.TollFreeRate = cfg.LocalRate, cfg.TollFreeRate
	acfg.NumberKick, acfg.NumberReady = a.numbers.Kick, a.numberReady
	if a.provider != nil {
		acfg.Numbers = a.provider
	}
	con, err := admin.New(acfg, db)
	if err != nil {
		return nil, err
	}
	con.Register(a.echo)
	svc := announcements(db, tr, brain, wake, cfg)
	dash, err := newDashboard(cfg, db, tr, brain, svc, pages, disp.Kick)
	if err != nil {
		return nil, err
	}
	dash.Register(a.echo)
	api.New(api.Config{Store: db, Service: svc}).Register(a.echo)
	a.routes()
	return a, nil
}

// pictures takes MMS pictures from Twilio (with the account's credentials)
// into the store, served at /m/{token}.
func pictures(tcfg twilio.Config, db *store.DB) (*bot.Pictures, error) {
	media, err := twilio.NewMedia(tcfg)
	if err != nil {
		return nil, err
	}
	return &bot.Pictures{
		Fetch: media, Keep: db, BaseURL: tcfg.PublicURL,
		Token: func() (string, error) { return bot.RandomCode(20) },
	}, nil
}

// announcements is the Service the API runs announcements and reply
// threads through. A picture_url is fetched by the webhook guard's client:
// never from a private address unless NUDGES_WEBHOOK_ALLOW allows it.
func announcements(db *store.DB, tr bot.Translator, brain *flows.Brain, wake func(), cfg config) *flows.Service {
	fetch := api.PictureFetcher{Client: hookout.Guard{Allow: cfg.WebhookAllow}.Client(20 * time.Second)}
	return &flows.Service{Store: db, Clock: bot.SystemClock{}, T: tr, Brain: brain, Notify: wake,
		Pictures: &bot.Pictures{Fetch: fetch, Keep: db, BaseURL: cfg.PublicURL,
			Token: func() (string, error) { return bot.RandomCode(20) }}}
}

// prune forgets retry guards past their retention (store.Prune) and folds
// announcements settled for longer than NUDGES_OUTBOX_KEEP (bot.Retention),
// at start and then hourly, until ctx ends.
// hookKeep is how long a delivered or failed webhook row stays listed.
const hookKeep = 30 * 24 * time.Hour

func (a *app) prune(ctx context.Context) error {
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		now := time.Now().UTC()
		if n, err := a.db.Prune(now); err != nil {
			slog.Error("prune old retry guards", "err", err)
		} else if n > 0 {
			slog.Info("pruned old retry guards", "n", n)
		}
		if n, err := a.db.PruneHookDeliveries(now.Add(-hookKeep)); err != nil {
			slog.Error("prune old webhook deliveries", "err", err)
		} else if n > 0 {
			slog.Info("pruned old webhook deliveries", "n", n)
		}
		r := bot.Retention{Store: a.db, Keep: a.cfg.OutboxKeep}
		if n, err := r.Fold(ctx, now); err != nil && ctx.Err() == nil {
			slog.Error("fold settled announcements", "err", err)
		} else if n > 0 {
			slog.Info("folded settled announcements into their counts", "n", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// tuneGC collects less often than Go's default: the live heap is small and
// turns allocate briskly, and GOGC=400 measured about +10 % inbound
// throughput (docs/benchmarks.md). A 1 GiB soft limit makes the collector work
// harder instead of letting a large broadcast grow the heap unchecked.
// GOGC and GOMEMLIMIT in the environment win.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(1 << 30)
	}
}

// serviceNumber is the number clients share: TWILIO_FROM_NUMBER; with a
// Messaging Service there is none fixed, and each client's signup number is
// used instead (flows.Brain.number); the console driver's is a test number.
func serviceNumber(cfg config) string {
	if cfg.TwilioFrom != "" {
		return cfg.TwilioFrom
	}
	if cfg.twilio() {
		return ""
	}
	return "+15550000000"
}

func newEcho() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.IPExtractor = web.ClientIP(nil) // newApp sets NUDGES_TRUSTED_PROXIES
	return e
}

// routes registers the endpoints of SPEC §3.
func (a *app) routes() {
	a.echo.GET("/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok\n") })
	ready := &readiness{ping: a.db.Ping, timeout: readyTimeout}
	a.echo.GET("/readyz", func(c echo.Context) error {
		if err := ready.check(); err != nil {
			if a.cfg.Store.Kind != kvopen.Bolt {
				return c.String(http.StatusServiceUnavailable, "database unavailable: no etcd quorum\n")
			}
			return c.String(http.StatusServiceUnavailable, "database unavailable\n")
		}
		return c.String(http.StatusOK, "ready\n")
	})
}
