//go:build linux

package benchkit

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// CtxBinary returns the absolute path of the ctx binary that the -ctx flag
// names, with an error if there is no file there.
func CtxBinary(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err == nil {
		_, err = os.Stat(abs)
	}
	return abs, err
}

// RunTimed runs cmd and returns its wall time from start to exit and its
// peak RSS in KiB (ru_maxrss). A nil cmd.Stdout goes to /dev/null, opened
// before the clock starts. RunTimed takes over cmd.Stderr: when cmd fails,
// the error ends with what cmd wrote there.
func RunTimed(cmd *exec.Cmd) (wall time.Duration, peakKiB int64, err error) {
	if cmd.Stdout == nil {
		devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		if err != nil {
			return 0, 0, err
		}
		defer devnull.Close()
		cmd.Stdout = devnull
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err = cmd.Run()
	wall = time.Since(start)
	if err != nil {
		return wall, 0, fmt.Errorf("%v: %s", err, strings.TrimSpace(stderr.String()))
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		peakKiB = ru.Maxrss
	}
	return wall, peakKiB, nil
}

// OnSignal calls cleanup and exits with status 130 when the process gets
// SIGINT, SIGTERM or SIGHUP. Before that it prints "prog: SIGNAL: doing"
// on stderr.
func OnSignal(prog, doing string, cleanup func()) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		s := <-sigs
		fmt.Fprintf(os.Stderr, "\n%s: %v: %s\n", prog, s, doing)
		cleanup()
		os.Exit(130)
	}()
}

// Hold says that the scenario is held and blocks until a signal ends the
// benchmark, for profiling by hand.
func Hold() {
	fmt.Println("holding the scenario; Ctrl-C removes it")
	select {}
}
