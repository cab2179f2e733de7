package mcpproxy

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// mapUp maps paths under /up/ to /L/, as a server's local would.
func mapUp(ref string) (string, bool) {
	rest, ok := strings.CutPrefix(ref, "/up/")
	return "/L/" + rest, ok
}

func TestEventRewriter(t *testing.T) {
	long := "data: " + strings.Repeat("x", maxEvent+10) + "\n\n"
	tests := []struct {
		name, in, out string
		err           bool // the stream ends with an error after out
	}{
		{"empty", "", "", false},
		{"other events untouched", "id: 1\ndata: {\"a\":1}\n\n: ping\n\nevent: message\ndata: /up/x\n\n", "id: 1\ndata: {\"a\":1}\n\n: ping\n\nevent: message\ndata: /up/x\n\n", false},
		{"endpoint", "event: endpoint\ndata: /up/messages?session_id=1\n\n", "event: endpoint\ndata: /L/messages?session_id=1\n\n", false},
		{"no space after colon", "event:endpoint\ndata:/up/m\n\n", "event:endpoint\ndata: /L/m\n\n", false},
		{"type after data", "data: /up/m\nid: 3\nevent: endpoint\n\n", "data: /L/m\nid: 3\nevent: endpoint\n\n", false},
		{"crlf", "event: endpoint\r\ndata: /up/m\r\n\r\n", "event: endpoint\r\ndata: /L/m\n\r\n", false},
		{"two data lines", "event: endpoint\ndata: /up/a\ndata: b\n\n", "", true},
		{"between others", "data: 1\n\nevent: endpoint\ndata: /up/m\n\ndata: 2\n\n", "data: 1\n\nevent: endpoint\ndata: /L/m\n\ndata: 2\n\n", false},
		{"every endpoint", "event: endpoint\ndata: /up/a\n\nevent: endpoint\ndata: /up/b\n\n", "event: endpoint\ndata: /L/a\n\nevent: endpoint\ndata: /L/b\n\n", false},
		{"unmapped", "data: 1\n\nevent: endpoint\ndata: https://elsewhere/m\n\ndata: 2\n\n", "data: 1\n\n", true},
		{"last type wins", "event: endpoint\nevent: message\ndata: /up/m\n\n", "event: endpoint\nevent: message\ndata: /up/m\n\n", false},
		{"cut off at the end", "data: 1\n\nevent: endpoint\ndata: /up/m\n", "data: 1\n\nevent: endpoint\ndata: /up/m\n", false},
		{"cut off mid-line", "data: 1\n\nevent: endp", "data: 1\n\nevent: endp", false},
		{"long event passes", long + "event: endpoint\ndata: /up/m\n\n", long + "event: endpoint\ndata: /L/m\n\n", false},
		{"long line in an endpoint event", "event: endpoint\n" + long + "data: 1\n\n", "event: endpoint\n" + long + "data: 1\n\n", false},
		{"many lines", strings.Repeat("data: 0123456789\n", maxEvent/16) + "\nevent: endpoint\ndata: /up/m\n\n", strings.Repeat("data: 0123456789\n", maxEvent/16) + "\nevent: endpoint\ndata: /L/m\n\n", false},
	}
	readers := []struct {
		name string
		wrap func(io.Reader) io.Reader
	}{
		{"whole", func(r io.Reader) io.Reader { return r }},
		{"byte by byte", iotest.OneByteReader},
		{"half", iotest.HalfReader},
	}
	for _, tt := range tests {
		for _, rd := range readers {
			t.Run(tt.name+"/"+rd.name, func(t *testing.T) {
				src := io.NopCloser(rd.wrap(strings.NewReader(tt.in)))
				e := newEventRewriter(src, mapUp)
				got, err := io.ReadAll(rd.wrap(e))
				if string(got) != tt.out {
					t.Errorf("got %q\nwant %q", shorten(string(got)), shorten(tt.out))
				}
				if tt.err != errors.As(err, new(errUnmappedEndpoint)) || !tt.err && err != nil {
					t.Errorf("error %v", err)
				}
			})
		}
	}
}

func shorten(s string) string {
	if len(s) > 200 {
		return s[:100] + "..." + s[len(s)-100:]
	}
	return s
}

// TestEventRewriterPassesEventsAtOnce checks that an event is readable as
// soon as its blank line has arrived, before anything after it was sent.
func TestEventRewriterPassesEventsAtOnce(t *testing.T) {
	pr, pw := io.Pipe()
	e := newEventRewriter(pr, mapUp)
	br := bufio.NewReader(e)
	go func() {
		io.WriteString(pw, "event: endpoint\ndata: /up/m\n\n")
		io.WriteString(pw, "data: 1\n\n")
		// Nothing more until the test closes the pipe.
	}()
	for _, want := range []string{"event: endpoint\ndata: /L/m\n", "data: 1\n"} {
		got := make(chan string, 1)
		go func() {
			ev, _ := readEvent(br)
			got <- ev
		}()
		if ev := within(t, got, "an event"); ev != want {
			t.Errorf("got %q, want %q", ev, want)
		}
	}
	e.Close()
	if _, err := pw.Write([]byte("x")); !errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("write after Close: %v", err)
	}
}

func TestField(t *testing.T) {
	tests := []struct{ line, name, value string }{
		{"data: x\n", "data", "x"},
		{"data:x\r\n", "data", "x"},
		{"data:  x\n", "data", " x"},
		{"data\n", "data", ""},
		{": comment\n", "", "comment"},
		{"data: a: b\n", "data", "a: b"},
	}
	for _, tt := range tests {
		name, value := field([]byte(tt.line))
		if string(name) != tt.name || string(value) != tt.value {
			t.Errorf("field(%q) = %q, %q", tt.line, name, value)
		}
	}
}
