package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"time"
)

// usage is what `nudges help` (-h, --help) prints.
const usage = `Nudges: an SMS subscription and announcement service in one binary.

Usage:
  nudges [serve]              run the service (the default command)
  nudges chat [--to N] PHONE  text the running server from this terminal as PHONE
  nudges migrate FROM TO      copy a stopped store into another (bolt:///path/n.db, etcd://h1:2379,...)
  nudges cert ca DIR          make a CA for etcd members' TLS (DIR/ca.crt, DIR/ca.key)
  nudges cert node DIR NAME HOST...  make NAME's member certificate for HOSTs, signed by that CA
  nudges healthcheck          exit 0 when the server at NUDGES_ADDR is ready, else 1
  nudges version              print the version (also --version, -v)
  nudges help [COMMAND]       this text, or one command's (also -h, --help)

Everything else is configured with environment variables (NUDGES_ADDR,
NUDGES_DB, NUDGES_ADMIN_PHONES, TWILIO_*, STRIPE_*, ...): see docs/cli.md and
docs/configuration.md.
`

// commandUsage is each command's own help.
var commandUsage = map[string]string{
	"serve": usage,
	"chat": `Usage: nudges chat [--to NUMBER] PHONE

Texts the server at NUDGES_ADDR as PHONE: each line you type is sent to its
SMS webhook (signed when TWILIO_AUTH_TOKEN is set) and replies print as
they arrive. --to texts a client's own number instead of the service
number. Example: nudges chat +15550001111
`,
	"migrate": `Usage: nudges migrate FROM TO

Copies a whole stopped store into another, empty one, e.g.
  nudges migrate bolt:///var/lib/nudges/nudges.db etcd://10.0.0.1:2379
`,
	"healthcheck": `Usage: nudges healthcheck

Asks GET /readyz of the server at NUDGES_ADDR (a wildcard host means this
machine) and exits 0 when it answers 200 within 3 s, else prints why and
exits 1. Docker's HEALTHCHECK runs it.
`,
	"cert": `Usage: nudges cert ca DIR | nudges cert node DIR NAME HOST...

cert ca writes DIR/ca.crt and DIR/ca.key; cert node writes DIR/NAME.crt and
DIR/NAME.key for those hosts, signed by DIR's CA. An etcd+embed store URL
with certs=DIR uses them for mutual TLS between members.
`,
	"version": "Usage: nudges version\n\nPrints the version this binary was built as.\n",
}

// helpFlags are the arguments that ask for help wherever they appear.
var helpFlags = []string{"-h", "--help", "-help"}

// helpFor is the help args ask for, if they ask for any: `help`, `-h` or
// `--help` alone, `help COMMAND`, or COMMAND followed by -h or --help.
func helpFor(args []string) (string, bool) {
	if len(args) == 0 {
		return "", false
	}
	if args[0] == "help" || slices.Contains(helpFlags, args[0]) {
		if len(args) > 1 && commandUsage[args[1]] != "" {
			return commandUsage[args[1]], true
		}
		return usage, true
	}
	if slices.ContainsFunc(args[1:], func(a string) bool { return slices.Contains(helpFlags, a) }) {
		return cmp.Or(commandUsage[args[0]], usage), true
	}
	return "", false
}

// healthTimeout bounds `nudges healthcheck`: /readyz answers within 1 s.
const healthTimeout = 3 * time.Second

// healthcheck runs `nudges healthcheck`: nil when /readyz of the server at
// NUDGES_ADDR answers 200 within healthTimeout. It reads only NUDGES_ADDR,
// so a container's health does not depend on the rest of its settings.
func healthcheck(args []string) error {
	if len(args) != 0 {
		return errors.New("usage: nudges healthcheck (it takes no arguments; the server is NUDGES_ADDR)")
	}
	addr := dialable(cmp.Or(os.Getenv("NUDGES_ADDR"), "127.0.0.1:8080"))
	ctx, cancel := context.WithTimeout(context.Background(), healthTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/readyz", nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck %s: %w", addr, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck %s: /readyz answered %s", addr, resp.Status)
	}
	fmt.Println("ready")
	return nil
}
