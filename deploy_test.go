package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDeployUnitsVerify checks the systemd units in deploy/ with
// systemd-analyze verify, which prints unknown keys and bad values as
// warnings yet exits 0: any output at all fails the test. ExecStart's
// binary must exist, so the units are checked in a copy that points at
// this test's own executable.
func TestDeployUnitsVerify(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("NUDGES_INTEGRATION") == "1" {
			t.Fatal("systemd-analyze not found and NUDGES_INTEGRATION=1: apt-get install -y systemd")
		}
		t.Skip("systemd-analyze not found (apt-get install -y systemd); NUDGES_INTEGRATION=1 makes this a failure")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	services, _ := filepath.Glob("deploy/*.service")
	timers, _ := filepath.Glob("deploy/*.timer")
	units := append(services, timers...)
	if len(units) < 3 {
		t.Fatalf("want nudges.service, nudges-backup.service and nudges-backup.timer in deploy/, got %v", units)
	}
	dir := t.TempDir()
	var paths []string
	for _, u := range units {
		b, err := os.ReadFile(u)
		if err != nil {
			t.Fatal(err)
		}
		text := strings.ReplaceAll(string(b), "/usr/local/bin/nudges", self)
		p := filepath.Join(dir, filepath.Base(u))
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	cmd := exec.Command(analyze, append([]string{"verify"}, paths...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("systemd-analyze verify %v: %v\n%s", units, err, out)
	}
}

// TestDeployUnitHardening keeps the service unit's safety settings from
// being dropped by an edit.
func TestDeployUnitHardening(t *testing.T) {
	b, err := os.ReadFile("deploy/nudges.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"ProtectSystem=strict", "NoNewPrivileges=yes", "StateDirectory=nudges", "User=nudges",
		"Environment=NUDGES_DB=/var/lib/nudges/nudges.db", "CapabilityBoundingSet=\n", "KillSignal=SIGTERM",
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("deploy/nudges.service lacks %q", want)
		}
	}
}

// TestDockerfile keeps the image's promises (no Docker daemon here to build
// it): a Go builder of go.mod's version, a static binary, a non-root user and
// the data on a volume.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	mod, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	goLine := ""
	for _, l := range strings.Split(string(mod), "\n") {
		if v, ok := strings.CutPrefix(l, "go "); ok {
			parts := strings.SplitN(strings.TrimSpace(v), ".", 3)
			goLine = parts[0] + "." + parts[1]
		}
	}
	text := string(b)
	for _, want := range []string{
		"FROM golang:" + goLine + "-", "CGO_ENABLED=0", "USER nonroot", "VOLUME [\"/data\"]",
		"NUDGES_DB=/data/nudges.db", "COPY --from=build",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	if n := strings.Count(text, "\nFROM "); n < 2 {
		t.Errorf("Dockerfile has %d stages, want a build stage and a run stage", n)
	}
}
