package hostfstest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// requireEnv names the environment variable that turns gate skips into
// failures when set to "all"; CI sets it so a missing tier cannot pass
// silently.
const requireEnv = "CTX_TEST_REQUIRE"

// dockerTimeout bounds the probe of the Docker daemon.
const dockerTimeout = 10 * time.Second

// required reports whether gates must fail rather than skip.
func required(getenv func(string) string) bool {
	return getenv(requireEnv) == "all"
}

// Gate skips t with reason, or fails it with the same text when
// CTX_TEST_REQUIRE=all. reason is one line led by its tier.
func Gate(t testing.TB, reason string) {
	t.Helper()
	if required(os.Getenv) {
		t.Fatal(reason)
		return
	}
	t.Skip(reason)
}

// RequirePrivileged gates a test on euid 0.
func RequirePrivileged(t testing.TB) {
	t.Helper()
	if euid := os.Geteuid(); euid != 0 {
		Gate(t, privilegedReason(euid))
	}
}

func privilegedReason(euid int) string {
	return fmt.Sprintf("privileged: needs euid 0, running as %d", euid)
}

// RequireTool gates a test of the given tier ("privileged", "e2e", …) on
// name being found in PATH.
func RequireTool(t testing.TB, tier, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		Gate(t, fmt.Sprintf("%s: needs %s in PATH", tier, name))
	}
}

var (
	dockerOnce sync.Once
	dockerErr  error
)

// RequireDocker gates a test on a Docker daemon that answers
// `docker version` within 10 s. The probe runs once per test process.
func RequireDocker(t testing.TB) {
	t.Helper()
	dockerOnce.Do(func() { dockerErr = probeDocker() })
	if dockerErr != nil {
		Gate(t, "e2e: docker daemon not reachable: "+dockerErr.Error())
	}
}

func probeDocker() error {
	ctx, cancel := context.WithTimeout(context.Background(), dockerTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "docker", "version", "--format", "{{.Server.Version}}")
	cmd.WaitDelay = time.Second // a stuck child holding the pipes must not hang us
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("docker version did not answer within %s", dockerTimeout)
	}
	if err != nil {
		return errors.New(shortError(stderr.String(), err))
	}
	if strings.TrimSpace(stdout.String()) == "" {
		return errors.New("docker version reported no server version")
	}
	return nil
}

// shortError condenses a command failure to one line for a skip reason: the
// first non-empty line of stderr, else the error itself.
func shortError(stderr string, err error) string {
	for _, line := range strings.Split(stderr, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			const limit = 200 // runes
			if r := []rune(line); len(r) > limit {
				line = string(r[:limit]) + "…"
			}
			return line
		}
	}
	return strings.ReplaceAll(err.Error(), "\n", " ")
}
