package main

import (
	"strings"
	"testing"
	"time"

	"nudges/bot"
)

func TestConfigSendWindowAndSupport(t *testing.T) {
	twilio := []string{"TWILIO_ACCOUNT_SID", "AC1", "TWILIO_AUTH_TOKEN", "t", "TWILIO_FROM_NUMBER", "+15550000000"}
	cases := []struct {
		env     []string
		window  bot.Window
		zone    string
		support string
	}{
		{nil, bot.WindowOff, "America/New_York", "http://localhost:8080"}, // console driver: off
		{twilio, bot.DefaultWindow, "America/New_York", "http://localhost:8080"},
		{append([]string{"NUDGES_SEND_WINDOW", "off"}, twilio...), bot.WindowOff, "America/New_York", "http://localhost:8080"},
		{[]string{"NUDGES_SEND_WINDOW", "09:00-21:00", "NUDGES_TIMEZONE", "Europe/Madrid", "NUDGES_SUPPORT", "help@example.com"},
			bot.Window{Open: 9 * time.Hour, Close: 21 * time.Hour}, "Europe/Madrid", "help@example.com"},
		{[]string{"NUDGES_PUBLIC_URL", "https://sms.example.com"}, bot.WindowOff, "America/New_York", "https://sms.example.com"},
	}
	for _, c := range cases {
		cfg, err := loadConfig(envOf(c.env...))
		if err != nil {
			t.Fatalf("%v: %v", c.env, err)
		}
		if cfg.SendWindow != c.window || cfg.TimeZone.String() != c.zone || cfg.Support != c.support {
			t.Errorf("%v: window %v zone %v support %q; want %v %s %q", c.env, cfg.SendWindow, cfg.TimeZone, cfg.Support, c.window, c.zone, c.support)
		}
	}
	for _, env := range [][]string{
		{"NUDGES_SEND_WINDOW", "8am-8pm"}, {"NUDGES_SEND_WINDOW", "20:00-08:00"},
		{"NUDGES_TIMEZONE", "Mars/Olympus"}, {"NUDGES_TIMEZONE", "Local"},
	} {
		_, err := loadConfig(envOf(env...))
		if err == nil || !strings.Contains(err.Error(), env[0]) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: error %v, want one line naming %s", env, err, env[0])
		}
	}
}
