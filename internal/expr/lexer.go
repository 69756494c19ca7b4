package expr

import (
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"
)

// Token kinds. Punctuation and operators use their own character as kind;
// ** is reported with kind '^' and text "**".
const (
	tEOF   = 0
	tErr   = 1   // lexical error; text holds the message
	tNum   = '0' // number literal
	tIdent = 'a' // identifier
)

type token struct {
	kind byte
	pos  Pos
	text string  // source text, or the message for tErr
	num  float64 // value of a tNum
}

// describe names t for use in "unexpected ..." messages.
func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of input"
	case tNum:
		return "number " + clip(t.text)
	case tIdent:
		return "identifier " + Quote(t.text)
	}
	return "'" + t.text + "'"
}

type lexer struct {
	src       string
	off       int // byte offset of the next unread character
	line, col int // position of src[off]
	end       Pos // position just after the last token; used for EOF
}

func (l *lexer) init(src string) {
	*l = lexer{src: src, line: 1, col: 1, end: Pos{1, 1}}
}

func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' }

// next scans and returns the next token. After a tErr token the lexer must
// not be used again.
func (l *lexer) next() token {
	for l.off < len(l.src) {
		c := l.src[l.off]
		if c == '\n' {
			l.line++
			l.col = 1
		} else if c == ' ' || c == '\t' || c == '\r' {
			l.col++
		} else {
			break
		}
		l.off++
	}
	if l.off >= len(l.src) {
		return token{kind: tEOF, pos: l.end}
	}
	pos := Pos{l.line, l.col}
	start := l.off
	c := l.src[start]
	var t token
	switch {
	case isDigit(c) || c == '.' && start+1 < len(l.src) && isDigit(l.src[start+1]):
		t = l.number(pos)
		if t.kind == tErr {
			return t
		}
	case isLetter(c):
		i := start + 1
		for i < len(l.src) && (isLetter(l.src[i]) || isDigit(l.src[i])) {
			i++
		}
		t = token{kind: tIdent, pos: pos, text: l.src[start:i]}
	case c == '*' && start+1 < len(l.src) && l.src[start+1] == '*':
		t = token{kind: '^', pos: pos, text: "**"}
	case c == '+' || c == '-' || c == '*' || c == '/' || c == '^' ||
		c == '(' || c == ')' || c == ',' || c == ';':
		t = token{kind: c, pos: pos, text: l.src[start : start+1]}
	default:
		r, size := utf8.DecodeRuneInString(l.src[start:])
		g, _ := glyphAt(l.src, start)
		switch g.text {
		case "'", `\`:
			g.text = `\` + g.text
		}
		msg := "invalid character '" + g.text + "'"
		if r == utf8.RuneError && size == 1 {
			msg = fmt.Sprintf("invalid UTF-8 byte %#02x", c)
		}
		return token{kind: tErr, pos: pos, text: msg}
	}
	// Every valid token is ASCII, so its length in bytes is its width in
	// columns.
	l.off += len(t.text)
	l.col += len(t.text)
	l.end = Pos{l.line, l.col}
	return t
}

// clip shortens an ASCII token such as a number literal to at most MaxEcho
// bytes for a message, marking the cut with "…".
func clip(s string) string {
	if len(s) > MaxEcho {
		return s[:MaxEcho-1] + "…"
	}
	return s
}

// number scans a number literal starting at l.off:
//
//	digits [ "." digits* ] [ exponent ] | "." digits+ [ exponent ]
//	exponent = ( "e" | "E" ) [ "+" | "-" ] digits+
//
// A literal immediately followed by a letter, digit, '_' or '.' is invalid
// (as in 1.2.3, 2x or 0x10); the whole run is reported.
func (l *lexer) number(pos Pos) token {
	s := l.src
	start := l.off
	i := start
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	ok := true
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		ok = i > j
	}
	if !ok || i < len(s) && (isLetter(s[i]) || isDigit(s[i]) || s[i] == '.') {
		for i < len(s) && (isLetter(s[i]) || isDigit(s[i]) || s[i] == '.') {
			i++
		}
		return token{kind: tErr, pos: pos, text: "invalid number literal " + Quote(s[start:i])}
	}
	lit := s[start:i]
	v, err := strconv.ParseFloat(lit, 64)
	if err != nil || math.IsInf(v, 0) {
		// The syntax was checked above, so this is overflow.
		return token{kind: tErr, pos: pos, text: "number literal " + clip(lit) + " out of range"}
	}
	return token{kind: tNum, pos: pos, text: lit, num: v}
}
