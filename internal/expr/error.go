package expr

import (
	"strings"
	"unicode/utf8"
)

// Error is an error located in the source text. Parse and ParseList return
// all their errors as *Error, and Eval attributes the errors it returns to a
// node with an *Error.
type Error struct {
	Pos Pos    // where the error was detected
	Msg string // message without position, e.g. "unexpected '*'"
	Src string // full source text, used to quote the offending line; may be empty
	Err error  // underlying error, if any (set by Eval); returned by Unwrap
}

// Error returns "line:col: msg". If Src is set and contains the line, the
// message continues with that source line and a line holding a caret under
// the column:
//
//	1:5: unexpected '*'
//	x + * y
//	    ^
//
// Tabs before the column are reproduced in the caret line so that the caret
// stays aligned.
func (e *Error) Error() string {
	head := e.Msg
	if e.Pos.IsValid() {
		head = e.Pos.String() + ": " + e.Msg
	}
	if e.Src == "" || !e.Pos.IsValid() {
		return head
	}
	line, ok := sourceLine(e.Src, e.Pos.Line)
	if !ok {
		return head
	}
	var b strings.Builder
	b.Grow(len(head) + 2*len(line) + 4)
	b.WriteString(head)
	b.WriteByte('\n')
	b.WriteString(line)
	b.WriteByte('\n')
	col := 1
	for _, r := range line {
		if col >= e.Pos.Col {
			break
		}
		if r == '\t' {
			b.WriteByte('\t')
		} else {
			b.WriteByte(' ')
		}
		col++
	}
	for ; col < e.Pos.Col; col++ {
		b.WriteByte(' ')
	}
	b.WriteByte('^')
	return b.String()
}

// Unwrap returns the underlying error, if any.
func (e *Error) Unwrap() error { return e.Err }

// sourceLine returns line n (1-based) of src without its line terminator.
func sourceLine(src string, n int) (string, bool) {
	for i := 1; i < n; i++ {
		j := strings.IndexByte(src, '\n')
		if j < 0 {
			return "", false
		}
		src = src[j+1:]
	}
	if j := strings.IndexByte(src, '\n'); j >= 0 {
		src = src[:j]
	}
	src = strings.TrimSuffix(src, "\r")
	if !utf8.ValidString(src) {
		// Replace each invalid byte by U+FFFD, one for one, so that the
		// rune count (and hence the caret column) is unchanged.
		var b strings.Builder
		for _, r := range src {
			b.WriteRune(r)
		}
		src = b.String()
	}
	return src, true
}
