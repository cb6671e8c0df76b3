package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// unitLines are a unit file's lines that start with key=.
func unitLines(t *testing.T, path, key string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, key+"="); ok {
			out = append(out, v)
		}
	}
	return out
}

// TestBackupUnitReadsTheDatabasePathFromTheEnvFile: the nightly backup
// copies the database the service uses, wherever nudges.env puts it: it
// reads the same environment file, and its copy command, run as systemd
// would run it (%% is %, $$ is $), copies NUDGES_DB.
func TestBackupUnitReadsTheDatabasePathFromTheEnvFile(t *testing.T) {
	svc, backup := "deploy/nudges.service", "deploy/nudges-backup.service"
	envFiles := unitLines(t, svc, "EnvironmentFile")
	if got := unitLines(t, backup, "EnvironmentFile"); len(envFiles) == 0 || strings.Join(got, ",") != strings.Join(envFiles, ",") {
		t.Errorf("backup EnvironmentFile %q, service %q", got, envFiles)
	}
	var copyCmd string
	for _, l := range unitLines(t, backup, "ExecStart") {
		if strings.Contains(l, "cp ") {
			copyCmd = l
		}
	}
	if copyCmd == "" || strings.Contains(copyCmd, "/var/lib/nudges/nudges.db") {
		t.Fatalf("backup copy command %q hard-codes the database or is missing", copyCmd)
	}
	script, ok := strings.CutPrefix(copyCmd, "/bin/sh -c '")
	if !ok {
		t.Fatalf("copy command %q is not /bin/sh -c '...'", copyCmd)
	}
	dir := t.TempDir()
	script = strings.TrimSuffix(script, "'")
	script = strings.NewReplacer("%%", "%", "$$", "$", "/var/backups/nudges", dir+"/backups").Replace(script)
	script = strings.ReplaceAll(script, "--preserve=mode,ownership", "--preserve=mode")
	db := filepath.Join(dir, "elsewhere", "my.db")
	os.MkdirAll(filepath.Dir(db), 0o700)
	os.MkdirAll(filepath.Join(dir, "backups"), 0o700)
	if err := os.WriteFile(db, []byte("the database"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.Env = append(os.Environ(), "NUDGES_DB="+db)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", script, err, out)
	}
	copies, _ := filepath.Glob(filepath.Join(dir, "backups", "nudges-*.db"))
	if len(copies) != 1 {
		t.Fatalf("copies %v", copies)
	}
	if b, _ := os.ReadFile(copies[0]); string(b) != "the database" {
		t.Errorf("copy holds %q", b)
	}
}

// TestUnitInstallCommentsCreateTheirDirectories: the install recipe at the
// top of nudges.service creates /etc/nudges before it installs the env
// file there.
func TestUnitInstallCommentsCreateTheirDirectories(t *testing.T) {
	b, err := os.ReadFile("deploy/nudges.service")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	mkdir := strings.Index(text, "install -d -m 750 -g nudges /etc/nudges")
	env := strings.Index(text, "/etc/nudges/nudges.env")
	if mkdir < 0 || mkdir > env {
		t.Errorf("nudges.service's install comment does not create /etc/nudges before installing nudges.env:\n%s", text[:min(len(text), 600)])
	}
}

// TestLicense: the repository carries the Apache License 2.0 in full.
func TestLicense(t *testing.T) {
	b, err := os.ReadFile("LICENSE")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Apache License", "Version 2.0, January 2004", "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION", "END OF TERMS AND CONDITIONS"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("LICENSE lacks %q", want)
		}
	}
}
