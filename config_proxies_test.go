package main

import (
	"strings"
	"testing"
)

func TestConfigTrustedProxies(t *testing.T) {
	cfg, err := loadConfig(envOf("NUDGES_TRUSTED_PROXIES", " 127.0.0.1/32, ::1/128 ,10.0.0.0/8"))
	if err != nil || len(cfg.TrustedProxies) != 3 || cfg.TrustedProxies[2].String() != "10.0.0.0/8" {
		t.Fatalf("%v %v", cfg.TrustedProxies, err)
	}
	if cfg, err := loadConfig(envOf()); err != nil || cfg.TrustedProxies != nil {
		t.Errorf("default trusts %v (%v), want nothing", cfg.TrustedProxies, err)
	}
	for _, bad := range []string{"10.0.0.0/33", "10.0.0.1", "nope", "10.0.0.0/8,,", "10.0.0.0/8 192.168.0.0/16"} {
		_, err := loadConfig(envOf("NUDGES_TRUSTED_PROXIES", bad))
		if err == nil || !strings.Contains(err.Error(), "NUDGES_TRUSTED_PROXIES") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: %v, want one line naming NUDGES_TRUSTED_PROXIES", bad, err)
		}
	}
}
