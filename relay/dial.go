package relay

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
)

// Dial asks the supervisor listening on socketPath for the server called
// name, then carries stdin to the server and the server's output to stdout
// until the output ends.
//
// It returns an error when the name is invalid ([ErrInvalidName], checked
// before connecting), when the supervisor has no such server
// ([ErrUnknownServer]), refuses the caller ([ErrNotAllowed]) or could not
// start the server ([*StartError]), and when the connection or stdout
// fails. A read error on stdin ends the server's input like end of file
// and is returned once the output has ended. The output ends when the
// server exits, so a nil error does not mean the server succeeded.
//
// When Dial returns, a read of stdin may still be in progress in a
// goroutine of its own; a relay process is expected to exit then.
func Dial(socketPath, name string, stdin io.Reader, stdout io.Writer) error {
	if !ValidName(name) {
		return fmt.Errorf("%w %q", ErrInvalidName, name)
	}
	conn, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: socketPath, Net: "unix"})
	if err != nil {
		return fmt.Errorf("failed to connect to the supervisor: %w", err)
	}
	defer conn.Close()

	// A supervisor that refuses the caller answers without reading the
	// request, so the answer is read even if the request could not go out.
	_, sendErr := conn.Write([]byte(name + "\n"))
	r := bufio.NewReaderSize(conn, maxAnswer)
	line, err := r.ReadSlice('\n')
	switch {
	case err != nil && sendErr != nil:
		return fmt.Errorf("failed to send the request: %w", sendErr)
	case errors.Is(err, bufio.ErrBufferFull):
		return errors.New("unexpected answer from the supervisor")
	case errors.Is(err, io.EOF):
		return errors.New("the supervisor closed the connection without answering")
	case err != nil:
		return fmt.Errorf("failed to read the answer: %w", err)
	}
	if answer := string(bytes.TrimSuffix(line, []byte("\n"))); answer != answerOK {
		return answerError(name, answer)
	}

	stdinErr := make(chan error, 1)
	go func() {
		readErr, _ := pump(conn, stdin)
		// A failed write means the supervisor is done with the server's
		// input; the output side tells how the session ended.
		conn.CloseWrite()
		stdinErr <- readErr
	}()
	readErr, writeErr := pump(stdout, r)
	if writeErr != nil {
		return fmt.Errorf("failed to write the server's output: %w", writeErr)
	}
	if readErr != nil {
		return fmt.Errorf("connection to the supervisor lost: %w", readErr)
	}
	select {
	case err := <-stdinErr:
		if err != nil {
			return fmt.Errorf("failed to read stdin: %w", err)
		}
	default:
	}
	return nil
}
