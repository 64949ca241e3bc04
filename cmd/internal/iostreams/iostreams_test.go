package iostreams

import (
	"io"
	"os"
	"testing"
)

func TestTest(t *testing.T) {
	ios, in, out, errOut := Test()
	if ios.IsStdoutTTY() {
		t.Error("got a TTY; want none")
	}
	in.WriteString("input")
	got, err := io.ReadAll(ios.In)
	if err != nil || string(got) != "input" {
		t.Errorf("read %q, %v; want %q", got, err, "input")
	}
	io.WriteString(ios.Out, "out")
	io.WriteString(ios.ErrOut, "err")
	if out.String() != "out" || errOut.String() != "err" {
		t.Errorf("got out %q, errOut %q; want %q, %q", out, errOut, "out", "err")
	}
	ios.SetStdoutTTY(true)
	if !ios.IsStdoutTTY() {
		t.Error("SetStdoutTTY(true) did not stick")
	}
}

func TestIsTerminal(t *testing.T) {
	f, err := os.Create(t.TempDir() + "/file")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f.Fd()) {
		t.Error("a regular file is a terminal; want not")
	}
}
