package main

import (
	"strings"
	"testing"
	"time"
)

func TestConfigNumbers(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	c, err := loadConfig(env(nil))
	if err != nil || c.LocalRate != 1 || c.TollFreeRate != 3 || c.NumberGrace != 720*time.Hour || c.TwilioMessagingBase != "https://messaging.twilio.com" {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	c, err = loadConfig(env(map[string]string{"NUDGES_LOCAL_RATE": "2.5", "NUDGES_TOLLFREE_RATE": "25",
		"NUDGES_NUMBER_GRACE": "48h", "TWILIO_MESSAGING_API_BASE": "http://127.0.0.1:9/"}))
	if err != nil || c.LocalRate != 2.5 || c.TollFreeRate != 25 || c.NumberGrace != 48*time.Hour || c.TwilioMessagingBase != "http://127.0.0.1:9" {
		t.Fatalf("set: %+v %v", c, err)
	}
	for k, v := range map[string]string{"NUDGES_LOCAL_RATE": "0", "NUDGES_TOLLFREE_RATE": "fast",
		"NUDGES_NUMBER_GRACE": "30 days", "TWILIO_MESSAGING_API_BASE": "messaging.twilio.com"} {
		_, err := loadConfig(env(map[string]string{k: v}))
		if err == nil || !strings.HasPrefix(err.Error(), k) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s=%s: %v", k, v, err)
		}
	}
}
