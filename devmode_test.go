package main

import (
	"strings"
	"testing"
)

// TestConsoleHintInDevMode: in dev mode the start-up log says how to get
// into the console: the login URL and phone, or exactly what to set.
func TestConsoleHintInDevMode(t *testing.T) {
	env := map[string]string{"NUDGES_ADDR": "127.0.0.1:18510"}
	cfg, err := loadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if got := consoleHint(cfg); !strings.Contains(got, "NUDGES_ADMIN_PHONES=+15550100000 go run .") ||
		!strings.Contains(got, "http://localhost:18510/admin/login") {
		t.Errorf("no admin phone: %q", got)
	}
	env["NUDGES_ADMIN_PHONES"] = "+15550100001,+15550100002"
	cfg, _ = loadConfig(func(k string) string { return env[k] })
	if got := consoleHint(cfg); !strings.Contains(got, "open http://localhost:18510/admin/login and sign in with +15550100001") ||
		!strings.Contains(got, "printed in this log") {
		t.Errorf("with admin phones: %q", got)
	}
	env["TWILIO_ACCOUNT_SID"], env["TWILIO_AUTH_TOKEN"], env["TWILIO_FROM_NUMBER"] = "AC123", "secret", "+15550000000"
	cfg, err = loadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if got := consoleHint(cfg); got != "" {
		t.Errorf("with Twilio: %q", got)
	}
}
