package main

import (
	"strings"
	"testing"
	"time"

	"nudges/store/kv/kvopen"
)

func envOf(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestConfigDefaults(t *testing.T) {
	c, err := loadConfig(envOf())
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.DBPath != "./data/nudges.db" || c.PublicURL != "http://localhost:8080" ||
		c.DefaultLocale != "en" || c.SendRate != 1 || c.twilio() || c.stripe() || c.TwilioAPIBase != "https://api.twilio.com" ||
		c.OutboxKeep != 720*time.Hour {
		t.Fatalf("defaults: %+v", c)
	}
}

// NUDGES_STORE names the store; without it NUDGES_DB is the bbolt file.
func TestConfigStore(t *testing.T) {
	c, err := loadConfig(envOf("NUDGES_DB", "/srv/n.db"))
	if err != nil || c.Store.Kind != kvopen.Bolt || c.Store.Path != "/srv/n.db" {
		t.Fatalf("NUDGES_DB alone: %+v, %v", c.Store, err)
	}
	c, err = loadConfig(envOf("NUDGES_STORE", "bolt:///srv/m.db"))
	if err != nil || c.Store.Kind != kvopen.Bolt || c.DBPath != "/srv/m.db" {
		t.Fatalf("bolt URL: %+v, %v", c.Store, err)
	}
	c, err = loadConfig(envOf("NUDGES_STORE", "etcd://10.0.0.1:2379,10.0.0.2:2379"))
	if err != nil || c.Store.Kind != kvopen.Etcd || len(c.Store.Endpoints) != 2 {
		t.Fatalf("etcd URL: %+v, %v", c.Store, err)
	}
	// Four mistakes: one line each.
	_, err = loadConfig(envOf("NUDGES_STORE", "etcd+embed://?state=maybe"))
	if err == nil || len(strings.Split(err.Error(), "\n")) != 4 {
		t.Errorf("four mistakes: %v, want four lines", err)
	}
}

func TestConfigPublicURLFollowsPort(t *testing.T) {
	c, err := loadConfig(envOf("NUDGES_ADDR", "127.0.0.1:18401"))
	if err != nil {
		t.Fatal(err)
	}
	if c.PublicURL != "http://localhost:18401" {
		t.Fatalf("public URL for port 18401: %q", c.PublicURL)
	}
	c, err = loadConfig(envOf("NUDGES_ADDR", "127.0.0.1:18401", "NUDGES_PUBLIC_URL", "https://sms.example.com/"))
	if err != nil || c.PublicURL != "https://sms.example.com" {
		t.Fatalf("explicit public URL: %q, %v", c.PublicURL, err)
	}
}

func TestConfigMisconfigurationsSayWhatToFix(t *testing.T) {
	cases := []struct {
		env  []string
		want string
	}{
		{[]string{"STRIPE_SECRET_KEY", "sk_test_1"}, "STRIPE_WEBHOOK_SECRET"},
		{[]string{"STRIPE_SECRET_KEY", "sk_test_1", "STRIPE_WEBHOOK_SECRET", "nope"}, "whsec_"},
		{[]string{"NUDGES_ADMIN_PHONES", "+15550001111,555-abc"}, "NUDGES_ADMIN_PHONES"},
		{[]string{"NUDGES_ADMIN_PHONES", "5550001111"}, "E.164"},
		{[]string{"TWILIO_ACCOUNT_SID", "AC1"}, "TWILIO_AUTH_TOKEN"},
		{[]string{"TWILIO_ACCOUNT_SID", "AC1", "TWILIO_AUTH_TOKEN", "t"}, "TWILIO_FROM_NUMBER"},
		{[]string{"NUDGES_ADDR", "0.0.0.0:8080"}, "NUDGES_INSECURE_DEV"},
		{[]string{"NUDGES_ADDR", "nonsense"}, "host:port"},
		{[]string{"NUDGES_SEND_RATE", "0"}, "NUDGES_SEND_RATE"},
		{[]string{"NUDGES_SEND_RATE", "fast"}, "NUDGES_SEND_RATE"},
		{[]string{"NUDGES_SEND_RATE", "NaN"}, "NUDGES_SEND_RATE"},
		{[]string{"NUDGES_SEND_RATE", "Inf"}, "NUDGES_SEND_RATE"},
		{[]string{"NUDGES_DEFAULT_LOCALE", "fr"}, "NUDGES_DEFAULT_LOCALE"},
		{[]string{"NUDGES_PUBLIC_URL", "example.com"}, "NUDGES_PUBLIC_URL"},
		{[]string{"NUDGES_TIMEZONE", "Mars/Olympus"}, "NUDGES_TIMEZONE"},
		{[]string{"NUDGES_OUTBOX_KEEP", "30 days"}, "NUDGES_OUTBOX_KEEP"},
		{[]string{"NUDGES_OUTBOX_KEEP", "-1h"}, "NUDGES_OUTBOX_KEEP"},
		// A webhook secret alone used to start silently on dev checkout.
		{[]string{"STRIPE_WEBHOOK_SECRET", "whsec_1"}, "STRIPE_SECRET_KEY"},
		// The real limit is named, not only "above 0".
		{[]string{"NUDGES_SEND_RATE", "1e9"}, "at most 10000"},
		{[]string{"NUDGES_STORE", "/var/lib/n.db"}, "NUDGES_STORE"},
		{[]string{"NUDGES_STORE", "etcd://h1"}, `etcd endpoint "h1"`},
		{[]string{"NUDGES_STORE", "etcd+embed:///d?name=n1"}, "peer="},
		{[]string{"NUDGES_STORE", "bolt:///a.db", "NUDGES_DB", "/b.db"}, "keep one"},
	}
	for _, c := range cases {
		_, err := loadConfig(envOf(c.env...))
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: error %v, want one line naming %s", c.env, err, c.want)
		}
	}
}

// The public URL's default follows NUDGES_ADDR's port, so changing only the
// address keeps links and signatures right; an explicit one wins.
func TestPublicURLDefaultFollowsAddrPort(t *testing.T) {
	for _, c := range []struct {
		env  []string
		want string
	}{
		{[]string{"NUDGES_ADDR", "127.0.0.1:18505"}, "http://localhost:18505"},
		{[]string{"NUDGES_ADDR", "0.0.0.0:9000", "NUDGES_INSECURE_DEV", "1"}, "http://localhost:9000"},
		{[]string{"NUDGES_ADDR", "127.0.0.1:18505", "NUDGES_PUBLIC_URL", "https://sms.example.com"}, "https://sms.example.com"},
	} {
		cfg, err := loadConfig(envOf(c.env...))
		if err != nil || cfg.PublicURL != c.want {
			t.Errorf("%v: public URL %q (%v), want %q", c.env, cfg.PublicURL, err, c.want)
		}
	}
}

func TestConfigAcceptsWhatTheSpecAllows(t *testing.T) {
	ok := [][]string{
		{"NUDGES_ADDR", "0.0.0.0:8080", "NUDGES_INSECURE_DEV", "1"},
		{"NUDGES_ADDR", "0.0.0.0:8080", "TWILIO_ACCOUNT_SID", "AC1", "TWILIO_AUTH_TOKEN", "t", "TWILIO_MESSAGING_SERVICE_SID", "MG1"},
		{"NUDGES_ADMIN_PHONES", "+15550001111, +34612345678", "NUDGES_DEFAULT_LOCALE", "es", "NUDGES_SEND_RATE", "2.5", "NUDGES_OUTBOX_KEEP", "48h"},
		{"STRIPE_SECRET_KEY", "sk_test_1", "STRIPE_WEBHOOK_SECRET", "whsec_1", "NUDGES_PUBLIC_URL", "https://sms.example.com/"},
	}
	for _, env := range ok {
		c, err := loadConfig(envOf(env...))
		if err != nil {
			t.Errorf("%v: %v", env, err)
		}
		if strings.HasSuffix(c.PublicURL, "/") {
			t.Errorf("public URL keeps its trailing slash: %q", c.PublicURL)
		}
	}
}

func TestVersionFromBuildFlag(t *testing.T) {
	if v := version(); v == "" {
		t.Fatal("empty version")
	}
	old := buildVersion
	defer func() { buildVersion = old }()
	buildVersion = "v1.2.3"
	if v := version(); v != "v1.2.3" {
		t.Fatalf("version with -X main.buildVersion=v1.2.3: %q", v)
	}
}
