package relay

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// Answers of the supervisor, each sent as one line.
const (
	answerOK          = "ok"
	answerInvalidName = "error: invalid name"
	answerUnknown     = "error: unknown server"
	answerNotAllowed  = "error: not allowed"
	answerCannotStart = "error: cannot start: " // followed by the reason
	errorPrefix       = "error: "
)

// maxAnswer caps the answer line that Dial reads, newline included.
const maxAnswer = 512

var (
	// ErrInvalidName reports a name that [ValidName] refuses.
	ErrInvalidName = errors.New("invalid server name")
	// ErrUnknownServer reports a name the supervisor has no server for.
	ErrUnknownServer = errors.New("unknown server")
	// ErrNotAllowed reports a relay whose uid is not the supervisor's.
	ErrNotAllowed = errors.New("not allowed to use the supervisor")
)

// StartError reports a server that the supervisor could not start.
type StartError struct {
	Name   string
	Reason string // as the supervisor gave it, e.g. "fork/exec /bin/x: no such file or directory"
}

func (e *StartError) Error() string {
	return fmt.Sprintf("cannot start %s: %s", e.Name, e.Reason)
}

// oneLine makes s fit on one answer line: no control bytes, and short
// enough for the answer to fit in maxAnswer.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	const max = maxAnswer - len(answerCannotStart) - 1
	if len(s) > max {
		s = s[:max]
	}
	return s
}

// answerError turns an error line of the supervisor into the error Dial
// returns.
func answerError(name, line string) error {
	switch {
	case line == answerInvalidName:
		return fmt.Errorf("%w %q", ErrInvalidName, name)
	case line == answerUnknown:
		return fmt.Errorf("%w %q", ErrUnknownServer, name)
	case line == answerNotAllowed:
		return ErrNotAllowed
	case strings.HasPrefix(line, answerCannotStart):
		return &StartError{Name: name, Reason: line[len(answerCannotStart):]}
	case strings.HasPrefix(line, errorPrefix):
		return fmt.Errorf("supervisor refused %s: %s", name, oneLine(line[len(errorPrefix):]))
	}
	return errors.New("unexpected answer from the supervisor")
}

// pump copies src to dst until src ends or either fails, and says which
// side failed: readErr is nil when src ended with io.EOF.
func pump(dst io.Writer, src io.Reader) (readErr, writeErr error) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return nil, werr
			}
		}
		if err == io.EOF {
			return nil, nil
		}
		if err != nil {
			return err, nil
		}
	}
}
