package main

import (
	"strings"
	"testing"
)

// NUDGES_PLATFORM_FEE defaults to 10 and takes a percent with at most two
// decimals; STRIPE_CONNECT_WEBHOOK_SECRET needs Stripe and a whsec_ secret.
// Each refusal is one line naming the variable.
func TestConfigPaidLists(t *testing.T) {
	stripe := []string{"STRIPE_SECRET_KEY", "sk_test_1", "STRIPE_WEBHOOK_SECRET", "whsec_1"}
	for env, want := range map[string]float64{"": 10, "0": 0, "12.5": 12.5, "100": 100} {
		args := []string{}
		if env != "" {
			args = []string{"NUDGES_PLATFORM_FEE", env}
		}
		cfg, err := loadConfig(envOf(args...))
		if err != nil || cfg.PlatformFee != want {
			t.Errorf("fee %q: %v, %v; want %v", env, cfg.PlatformFee, err, want)
		}
	}
	cfg, err := loadConfig(envOf(append([]string{"STRIPE_CONNECT_WEBHOOK_SECRET", "whsec_c"}, stripe...)...))
	if err != nil || cfg.StripeConnectSecret != "whsec_c" {
		t.Errorf("connect secret: %q, %v", cfg.StripeConnectSecret, err)
	}
	for _, env := range [][]string{
		{"NUDGES_PLATFORM_FEE", "-1"}, {"NUDGES_PLATFORM_FEE", "101"}, {"NUDGES_PLATFORM_FEE", "ten"},
		{"NUDGES_PLATFORM_FEE", "10.001"}, {"NUDGES_PLATFORM_FEE", "NaN"},
		{"STRIPE_CONNECT_WEBHOOK_SECRET", "whsec_c"}, // without Stripe
		append([]string{"STRIPE_CONNECT_WEBHOOK_SECRET", "nope"}, stripe...),
	} {
		_, err := loadConfig(envOf(env...))
		if err == nil || !strings.Contains(err.Error(), env[0]) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: %v", env, err)
		}
	}
}
