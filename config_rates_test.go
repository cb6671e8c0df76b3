package main

import (
	"strings"
	"testing"
)

func TestConfigSenderRates(t *testing.T) {
	cfg, err := loadConfig(envOf())
	if err != nil || cfg.SendRate != 1 || cfg.LocalRate != 1 || cfg.TollFreeRate != 3 {
		t.Fatalf("defaults: send %v local %v toll-free %v, %v; want 1, 1, 3", cfg.SendRate, cfg.LocalRate, cfg.TollFreeRate, err)
	}
	cfg, err = loadConfig(envOf("NUDGES_LOCAL_RATE", "2.5", "NUDGES_TOLLFREE_RATE", "25"))
	if err != nil || cfg.LocalRate != 2.5 || cfg.TollFreeRate != 25 {
		t.Fatalf("set: local %v toll-free %v, %v", cfg.LocalRate, cfg.TollFreeRate, err)
	}
	for _, key := range []string{"NUDGES_LOCAL_RATE", "NUDGES_TOLLFREE_RATE"} {
		for _, bad := range []string{"fast", "0", "-1", "NaN", "10001"} {
			_, err := loadConfig(envOf(key, bad))
			if err == nil || !strings.Contains(err.Error(), key) || strings.Contains(err.Error(), "\n") {
				t.Errorf("%s=%s: %v, want one line naming it", key, bad, err)
			}
		}
	}
}
