package main

// chainrule serve: a local web server for the graph explorer, and the
// explorer page itself (web/), which graph --format html writes as one
// offline file with its data inside.

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

var (
	//go:embed web/explorer.html
	pageHTML string
	//go:embed web/explorer.css
	pageCSS string
	//go:embed web/explorer.js
	pageJS string
)

// The bounds of the server.
const (
	defaultAddr    = "127.0.0.1:8080"
	maxRequestBody = 64 << 10 // bytes of a POST to /api/graph
	evalTimeout    = 5 * time.Second
)

// page returns the explorer page: the HTML with its style and script
// inline, and data, the JSON of explore (nil: the page asks the server),
// in a script element of type application/json, '<' escaped so that no
// text in it can end the element. connect lists where the page may send
// requests (its Content-Security-Policy's connect-src).
func page(data []byte, connect string) []byte {
	if data == nil {
		data = []byte("null")
	}
	data = bytes.ReplaceAll(bytes.TrimSpace(data), []byte("<"), []byte(`\u003c`))
	r := strings.NewReplacer("{{CSP}}", csp(connect), "{{STYLE}}", pageCSS, "{{SCRIPT}}", pageJS, "{{DATA}}", string(data))
	return []byte(r.Replace(pageHTML))
}

// csp returns the page's Content-Security-Policy: nothing but its own
// script and style (by their hashes), and requests only to connect.
func csp(connect string) string {
	hash := func(s string) string {
		h := sha256.Sum256([]byte(s))
		return "'sha256-" + base64.StdEncoding.EncodeToString(h[:]) + "'"
	}
	return "default-src 'none'; script-src " + hash(pageJS) + "; style-src " + hash(pageCSS) +
		"; img-src data:; connect-src " + connect + "; base-uri 'none'; form-action 'none'"
}

// writeExplorerFile writes the explorer page for src at the point at, with
// the graph and both sweeps computed here, so that it works from disk
// without a server or a network (graph --format html).
func writeExplorerFile(out *bytes.Buffer, src string, at []binding) error {
	var res obj
	if err := tensorMaybe(func() error {
		var err error
		res, err = explore(src, at)
		return err
	}); err != nil {
		return err
	}
	res = append(res, field{"static", true})
	var b bytes.Buffer
	writeJSON(&b, res)
	out.Write(page(b.Bytes(), "'none'"))
	return nil
}

// explorerServer is the handler of chainrule serve: the page at /, the API
// at /api/graph, nothing else. One evaluation runs at a time; a request
// waits for its turn, and for its result, at most timeout.
type explorerServer struct {
	timeout time.Duration
	busy    chan struct{} // a token per running evaluation
	page    []byte
	csp     string // the page's Content-Security-Policy, sent as a header too
}

func newExplorerServer(timeout time.Duration) *explorerServer {
	if timeout <= 0 {
		timeout = evalTimeout
	}
	return &explorerServer{timeout: timeout, busy: make(chan struct{}, 1), page: page(nil, "'self'"), csp: csp("'self'")}
}

func (s *explorerServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
	switch r.URL.Path {
	case "/":
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			apiError(w, http.StatusMethodNotAllowed, "usage", "/ takes GET")
			return
		}
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", s.csp)
		w.Write(s.page)
	case "/api/graph":
		s.graph(w, r)
	default:
		apiError(w, http.StatusNotFound, "usage", "not found: the server serves the explorer at / and its API at /api/graph")
	}
}

// graphRequest is the body of a POST to /api/graph.
type graphRequest struct {
	Expr string `json:"expr"`
	At   string `json:"at"`
}

// graph answers a POST of {"expr": …, "at": "x=2,y=3"} with explore's
// JSON, or an error object (errorObj's, with "text") and a 4xx or 5xx
// status.
func (s *explorerServer) graph(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		apiError(w, http.StatusMethodNotAllowed, "usage", "/api/graph takes POST")
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		apiError(w, http.StatusUnsupportedMediaType, "usage", "/api/graph takes Content-Type: application/json")
		return
	}
	var req graphRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxRequestBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			apiError(w, http.StatusRequestEntityTooLarge, "limit", fmt.Sprintf("the request is larger than the limit of %s", byteSize(maxRequestBody)))
			return
		}
		apiError(w, http.StatusBadRequest, "usage", "bad request: want {\"expr\": \"…\", \"at\": \"x=1,y=2\"}")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.timeout)
	defer cancel()
	select {
	case s.busy <- struct{}{}:
	case <-ctx.Done():
		apiError(w, http.StatusServiceUnavailable, "limit", "the server is busy with another expression; try again")
		return
	}
	type result struct {
		body []byte
		ok   bool
	}
	done := make(chan result, 1)
	go func() {
		defer func() { <-s.busy }() // the token is held until the evaluation ends, even after a timeout
		body, ok := explorerJSON(req.Expr, req.At)
		done <- result{body, ok}
	}()
	select {
	case res := <-done:
		status := http.StatusOK
		if !res.ok {
			status = http.StatusUnprocessableEntity
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write(res.body)
	case <-ctx.Done():
		apiError(w, http.StatusServiceUnavailable, "limit", fmt.Sprintf("the evaluation took longer than the limit of %v", s.timeout))
	}
}

// apiError writes {"error": msg, "kind": kind, "text": msg} with status.
func apiError(w http.ResponseWriter, status int, kind, msg string) {
	var b bytes.Buffer
	writeJSON(&b, obj{{"error", msg}, {"kind", kind}, {"text", msg}})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// serve runs the explorer's server on addr (default 127.0.0.1:8080) until
// r.ctx (or, without one, an interrupt) ends it, printing the URL to open
// on stdout. It returns the exit status: 2 if it cannot listen.
func (r runner) serve(addr string, stdout, stderr io.Writer) int {
	if addr == "" {
		addr = defaultAddr
	}
	ctx := r.ctx
	if ctx == nil {
		var stop context.CancelFunc
		ctx, stop = signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fail(stderr, &cliError{kind: "io", err: fmt.Errorf("serve: %w", err)}, false, "serve")
	}
	srv := &http.Server{
		Handler:           newExplorerServer(r.evalTimeout),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
	if !isLoopback(ln.Addr()) {
		fmt.Fprintf(stderr, "chainrule: warning: serving on %s, which other machines can reach\n", ln.Addr())
	}
	fmt.Fprintf(stdout, "chainrule: the graph explorer is at http://%s/ (Ctrl-C to stop)\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err = <-errc:
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = srv.Shutdown(sctx)
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fail(stderr, &cliError{kind: "io", err: fmt.Errorf("serve: %w", err)}, false, "serve")
	}
	return 0
}

// isLoopback reports whether a is a loopback address.
func isLoopback(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}
