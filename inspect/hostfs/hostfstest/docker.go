package hostfstest

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

const (
	imageTag     = "ctx-test/busybox:latest"
	baseImageTag = "ctx-test/busybox-base:latest"
	// imageLock serializes image builds across test processes: go test
	// runs several packages at once.
	imageLock = "/tmp/ctx-test-image.lock"
	// busyboxPath is where Debian's busybox-static installs its binary.
	busyboxPath = "/bin/busybox"
	// dockerCmdTimeout bounds one docker command; pulls never happen, so
	// it only trips on a stuck daemon.
	dockerCmdTimeout = 5 * time.Minute
)

// Docker runs `docker args...` and returns its trimmed stdout; a failure
// fails the test with docker's stderr. It gates on RequireDocker.
func Docker(t testing.TB, args ...string) string {
	t.Helper()
	RequireDocker(t)
	out, err := docker(nil, nil, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// DockerRun starts `docker run -d --label ctx-test=1 args...` and returns the
// full container ID; t.Cleanup removes the container with `docker rm -f`.
// args include the image, e.g. DockerRun(t, "--network", "none",
// TestImage(t)). It gates on RequireDocker.
func DockerRun(t testing.TB, args ...string) string {
	t.Helper()
	RequireDocker(t)
	out, err := docker(nil, nil, append([]string{"run", "-d", "--label", "ctx-test=1"}, args...)...)
	// The ID is the last stdout line, whatever came before.
	id := out
	if i := strings.LastIndexByte(out, '\n'); i >= 0 {
		id = strings.TrimSpace(out[i+1:])
	}
	if id != "" {
		// docker run -d may create the container and fail to start it.
		t.Cleanup(func() {
			if _, err := docker(nil, nil, "rm", "-f", id); err != nil {
				t.Errorf("removing test container: %v", err)
			}
		})
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(id) != 64 {
		t.Fatalf("docker run printed %q; want a 64-digit container ID", out)
	}
	return id
}

var (
	imageOnce sync.Once
	imageErr  error
)

// TestImage returns the tag of the e2e test image, ctx-test/busybox:latest:
// Debian's static busybox with every applet in /bin, root and nobody in
// /etc/passwd, and `sleep 3600` as its command. It is built offline at most
// once per host (under a file lock, as test packages run in parallel) and
// reused while it exists. It gates on RequireDocker.
func TestImage(t testing.TB) string {
	t.Helper()
	RequireDocker(t)
	imageOnce.Do(func() { imageErr = ensureImage() })
	if imageErr != nil {
		t.Fatalf("TestImage: %v", imageErr)
	}
	return imageTag
}

func ensureImage() error {
	lock, err := os.OpenFile(imageLock, os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		return err
	}
	defer lock.Close() // closing releases the lock
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX); err != nil {
		return fmt.Errorf("locking %q: %w", imageLock, err)
	}
	if _, err := docker(nil, nil, "image", "inspect", "--format", "{{.Id}}", imageTag); err == nil {
		return nil // built by an earlier run or another package
	}
	if _, err := os.Stat(busyboxPath); err != nil {
		return fmt.Errorf("building %s needs %s: install the Debian package busybox-static: %w", imageTag, busyboxPath, err)
	}
	rootfs, err := busyboxRootfs()
	if err != nil {
		return fmt.Errorf("building %s: %w", imageTag, err)
	}
	if _, err := docker(bytes.NewReader(rootfs), nil, "import", "-", baseImageTag); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "ctx-test-image-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	dockerfile := "FROM " + baseImageTag + "\nCMD [\"sleep\", \"3600\"]\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		return err
	}
	// The classic builder uses the local base image and never pulls.
	env := []string{"DOCKER_BUILDKIT=0"}
	if _, err := docker(nil, env, "build", "-q", "-t", imageTag, dir); err != nil {
		return err
	}
	return nil
}

// busyboxRootfs returns a tar of a minimal root: /bin/busybox with a
// symlink per applet, /etc/passwd and /etc/group with root and nobody, and
// empty /tmp, /proc, /sys, /dev, /root.
func busyboxRootfs() ([]byte, error) {
	bin, err := os.ReadFile(busyboxPath)
	if err != nil {
		return nil, err
	}
	list, err := exec.Command(busyboxPath, "--list").Output()
	if err != nil {
		return nil, fmt.Errorf("%s --list: %w", busyboxPath, err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	epoch := time.Unix(0, 0)
	add := func(h *tar.Header, body []byte) error {
		h.ModTime, h.Uname, h.Gname = epoch, "root", "root"
		h.Size = int64(len(body))
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		_, err := tw.Write(body)
		return err
	}
	for _, d := range []struct {
		name string
		mode int64
	}{{"bin/", 0o755}, {"dev/", 0o755}, {"etc/", 0o755}, {"proc/", 0o555}, {"root/", 0o700}, {"sys/", 0o555}, {"tmp/", 0o1777}} {
		if err := add(&tar.Header{Typeflag: tar.TypeDir, Name: d.name, Mode: d.mode}, nil); err != nil {
			return nil, err
		}
	}
	if err := add(&tar.Header{Typeflag: tar.TypeReg, Name: "bin/busybox", Mode: 0o755}, bin); err != nil {
		return nil, err
	}
	for _, applet := range strings.Fields(string(list)) {
		if applet == "busybox" || strings.Contains(applet, "/") {
			continue
		}
		if err := add(&tar.Header{Typeflag: tar.TypeSymlink, Name: "bin/" + applet, Linkname: "busybox", Mode: 0o777}, nil); err != nil {
			return nil, err
		}
	}
	files := []struct{ name, body string }{
		{"etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"},
		{"etc/group", "root:x:0:\nnogroup:x:65534:\n"},
	}
	for _, f := range files {
		if err := add(&tar.Header{Typeflag: tar.TypeReg, Name: f.name, Mode: 0o644}, []byte(f.body)); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// docker runs the docker CLI with stdin and extra environment, returning
// trimmed stdout, or an error quoting the command and its stderr.
func docker(stdin io.Reader, env []string, args ...string) (string, error) {
	return dockerCLI("docker", stdin, env, args...)
}

// dockerCLI is docker with the CLI binary bin.
func dockerCLI(bin string, stdin io.Reader, env []string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), dockerCmdTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.WaitDelay = time.Second
	cmd.Stdin = stdin
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	out := strings.TrimSpace(stdout.String())
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			err = fmt.Errorf("timed out after %s", dockerCmdTimeout)
		}
		return out, fmt.Errorf("docker %s: %w\n%s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}
