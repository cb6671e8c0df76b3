package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"

	"nudges/bot"
	"nudges/webhooks/twilio"
)

// chat runs `nudges chat [--to NUMBER] PHONE` against the server the
// environment describes (NUDGES_ADDR, signed with TWILIO_AUTH_TOKEN when
// set): PHONE texts the service number, or with --to a client's own number.
func chat(args []string) error {
	fs := flag.NewFlagSet("chat", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	toArg := fs.String("to", "", "")
	const usage = "usage: nudges chat [--to NUMBER] PHONE (e.g. nudges chat --to +15550112345 +15550001111)"
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		return errors.New(usage)
	}
	phone, err := bot.ParsePhone(fs.Arg(0))
	if err != nil {
		return err
	}
	var to bot.Phone
	if *toArg != "" {
		if to, err = bot.ParsePhone(*toArg); err != nil {
			return fmt.Errorf("--to: %w", err)
		}
	}
	cfg, err := loadConfig(os.Getenv)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return twilio.Chat(ctx, twilio.ChatConfig{
		Server: "http://" + dialable(cfg.Addr), PublicURL: cfg.PublicURL, AuthToken: cfg.TwilioToken,
		Phone: phone, To: cmp.Or(string(to), serviceNumber(cfg), "+15550000000"),
	}, os.Stdin, os.Stdout)
}

// dialable turns a listen address into one a client can reach: a wildcard
// host becomes loopback.
func dialable(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
