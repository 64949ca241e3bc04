package inspect

import "errors"

// ErrNotFound means a TARGET matched nothing.
var ErrNotFound = errors.New("inspect: no such target")

// ErrAmbiguous means a TARGET matched more than one candidate.
var ErrAmbiguous = errors.New("inspect: ambiguous target")

// AmbiguousError lists the candidates of an ambiguous TARGET.
type AmbiguousError struct {
	Target     string
	Candidates []string
}

func (e *AmbiguousError) Error() string {
	msg := "target " + quote(e.Target) + " is ambiguous; candidates:"
	for _, c := range e.Candidates {
		msg += "\n  " + c
	}
	return msg
}

// Unwrap lets callers test errors.Is(err, ErrAmbiguous).
func (e *AmbiguousError) Unwrap() error { return ErrAmbiguous }
