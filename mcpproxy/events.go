package mcpproxy

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// maxEvent is the most of one event the rewriter holds back. An "endpoint"
// event is one short line; a longer event passes through as it comes,
// unparsed.
const maxEvent = 64 << 10

// eventRewriter passes a server-sent event stream on one event at a time,
// mapping the data of each "endpoint" event with mapURL.
//
// The HTTP+SSE transport of MCP (protocol version 2024-11-05) opens with
// an "endpoint" event whose data is the URL to which the client must POST
// its messages, usually an absolute path such as "/messages?session_id=…".
// The client resolves it against the stream's URL, which is the proxy's: a
// path left as it is would miss the token and the server's name, and an
// absolute URL would send the agent to the upstream directly. When the
// URL cannot be mapped, the stream ends with an error rather than point
// the agent elsewhere.
//
// An event is passed on as soon as its terminating blank line has arrived,
// which is when a client would dispatch it anyway.
type eventRewriter struct {
	src    io.Closer
	br     *bufio.Reader
	mapURL func(string) (string, bool)
	block  []byte // the lines of the event being read, held back
	out    []byte // bytes ready to be read
	skip   bool   // in an event longer than maxEvent: pass it on unparsed
	inLine bool   // in skip mode: the last bytes passed on did not end a line
	err    error  // returned once out is drained
}

// errUnmappedEndpoint ends a stream whose endpoint the proxy cannot map.
type errUnmappedEndpoint struct{}

func (errUnmappedEndpoint) Error() string {
	return "upstream sent an endpoint outside the configured URL"
}

func newEventRewriter(src io.ReadCloser, mapURL func(string) (string, bool)) *eventRewriter {
	return &eventRewriter{src: src, br: bufio.NewReaderSize(src, maxEvent), mapURL: mapURL}
}

func (e *eventRewriter) Close() error { return e.src.Close() }

func (e *eventRewriter) Read(p []byte) (int, error) {
	for len(e.out) == 0 {
		if e.err != nil {
			return 0, e.err
		}
		e.step()
	}
	n := copy(p, e.out)
	e.out = e.out[n:]
	return n, nil
}

// step reads one line, or as much of it as the buffer holds, and moves
// whatever is ready to out. In skip mode out may alias the buffer of br:
// Read drains out before step reads again.
func (e *eventRewriter) step() {
	chunk, err := e.br.ReadSlice('\n')
	if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
		e.err = err
	}
	whole := err == nil // chunk ends with a line feed
	if e.skip {
		if whole && !e.inLine && isBlankLine(chunk) {
			e.skip = false
		}
		e.inLine = !whole
		e.out = chunk
		return
	}
	switch {
	case !whole:
		// The end of the stream, or a line longer than the buffer: what is
		// held goes on unchanged.
		e.out = append(e.block, chunk...)
		e.block = nil
		e.skip = e.err == nil
		e.inLine = true
	case isBlankLine(chunk):
		e.out = e.finish(append(e.block, chunk...))
		e.block = nil
	case len(e.block)+len(chunk) > maxEvent:
		e.out = append(e.block, chunk...)
		e.block = nil
		e.skip = true
		e.inLine = false
	default:
		e.block = append(e.block, chunk...)
	}
}

// finish returns the complete event ev, its "endpoint" data mapped. The
// fields of an event may come in any order, so the event's type is known
// only at its end.
func (e *eventRewriter) finish(ev []byte) []byte {
	var typ []byte
	var data [][]byte
	for line := range bytes.Lines(ev) {
		name, value := field(line)
		switch string(name) {
		case "event":
			typ = value
		case "data":
			data = append(data, value)
		}
	}
	if string(typ) != "endpoint" {
		return ev
	}
	// An endpoint is one URL: data on several lines would join into a
	// value with a line feed.
	local, ok := "", len(data) == 1
	if ok {
		local, ok = e.mapURL(string(data[0]))
	}
	if !ok {
		e.err = errUnmappedEndpoint{}
		return nil
	}
	// The same event with its data lines replaced by one line, in the
	// place of the first.
	var out []byte
	wrote := false
	for line := range bytes.Lines(ev) {
		name, _ := field(line)
		if string(name) != "data" {
			out = append(out, line...)
			continue
		}
		if !wrote {
			out = append(out, "data: "...)
			out = append(out, local...)
			out = append(out, '\n')
			wrote = true
		}
	}
	return out
}

// field splits one line of an event into its field name and value, as the
// HTML standard's event stream parser does: up to the first colon, and
// after it, one leading space removed.
func field(line []byte) (name, value []byte) {
	line = bytes.TrimSuffix(line, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	name, value, _ = bytes.Cut(line, []byte(":"))
	value = bytes.TrimPrefix(value, []byte(" "))
	return name, value
}

func isBlankLine(line []byte) bool {
	return string(line) == "\n" || string(line) == "\r\n"
}
