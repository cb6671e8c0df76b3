// Command nudges is the whole service in one binary: `nudges` (or `nudges
// serve`) runs it, `nudges chat PHONE` texts it from a terminal, `nudges
// version` prints the version. Configuration is the environment (SPEC §2).
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

	"github.com/labstack/echo/v4"

	"nudges/bot"
	"nudges/flows"
	"nudges/locales"
	"nudges/store"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "nudges:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
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
		return serve(ctx, cfg)
	case "chat":
		return chat(args)
	case "version":
		fmt.Println("nudges", version())
		return nil
	case "help", "-h", "--help":
		fmt.Println("usage: nudges [serve | chat PHONE | version]")
		return nil
	}
	return fmt.Errorf("unknown command %q (want serve, chat PHONE or version)", cmd)
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// app is the wired service.
type app struct {
	cfg    config
	db     *store.DB
	tr     *locales.Catalog
	engine *bot.Engine
	echo   *echo.Echo
	// workers run until the serve context ends (the dispatcher).
	workers []func(ctx context.Context) error
}

// serve runs the service until ctx ends, then drains and closes cleanly.
func serve(ctx context.Context, cfg config) error {
	db, err := store.Open(cfg.DBPath)
	if err != nil {
		return err
	}
	defer db.Close()
	a, err := build(cfg, db)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (set NUDGES_ADDR to a free address)", cfg.Addr, err)
	}
	slog.Info("nudges serving", "addr", ln.Addr().String(), "db", cfg.DBPath, "public_url", cfg.PublicURL,
		"sms", map[bool]string{true: "twilio", false: "console"}[cfg.twilio()],
		"payments", map[bool]string{true: "stripe", false: "dev checkout"}[cfg.stripe()])
	return a.run(ctx, ln)
}

// run serves HTTP and the workers until ctx ends: then it stops taking
// requests, lets in-flight ones and the workers finish, and returns.
func (a *app) run(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: a.echo, ReadHeaderTimeout: 10 * time.Second}
	workCtx, stopWork := context.WithCancel(context.Background())
	done := make(chan error, len(a.workers)+1)
	for _, w := range a.workers {
		go func() { done <- w(workCtx) }()
	}
	go func() { done <- srv.Serve(ln) }()
	var first error
	select {
	case <-ctx.Done():
	case first = <-done:
	}
	slog.Info("nudges stopping")
	shutCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		slog.Error("http shutdown", "err", err)
	}
	stopWork()
	for range a.workers {
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) && first == nil {
			first = err
		}
	}
	if errors.Is(first, http.ErrServerClosed) {
		first = nil
	}
	return first
}

// build wires the store, the engine and the adapters.
func build(cfg config, db *store.DB) (*app, error) {
	tr, err := locales.Load()
	if err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, db: db, tr: tr}
	brain := &flows.Brain{ServiceNumber: serviceNumber(cfg), PublicURL: cfg.PublicURL, Support: cfg.PublicURL + "/help"}
	a.engine = &bot.Engine{Store: db, Brain: brain, Clock: bot.SystemClock{}, T: tr, DefaultLocale: cfg.DefaultLocale}
	a.echo = newEcho()
	a.routes()
	return a, nil
}

func serviceNumber(cfg config) string {
	if cfg.TwilioFrom != "" {
		return cfg.TwilioFrom
	}
	if cfg.twilio() {
		return "our number"
	}
	return "+15550000000"
}

func newEcho() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.IPExtractor = echo.ExtractIPDirect()
	return e
}

// routes registers the endpoints of SPEC §3.
func (a *app) routes() {
	a.echo.GET("/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok\n") })
	a.echo.GET("/readyz", func(c echo.Context) error {
		if err := a.db.Ping(); err != nil {
			return c.String(http.StatusServiceUnavailable, "database unavailable\n")
		}
		return c.String(http.StatusOK, "ready\n")
	})
}

// chat runs `nudges chat PHONE`.
func chat(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: nudges chat PHONE (e.g. nudges chat +15550001111)")
	}
	return fmt.Errorf("chat is not wired yet")
}
