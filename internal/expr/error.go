package expr

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
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
// message continues with an excerpt of that source line and a line holding
// a caret under the column:
//
//	1:5: unexpected '*'
//	x + * y
//	    ^
//
// The excerpt is made by [Excerpt]: characters that are not printable are
// shown escaped, a line longer than [MaxEcho] columns is clipped around the
// column, and the caret stays aligned with what is shown.
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
	text, caret := Excerpt(line, e.Pos.Col)
	return head + "\n" + text + "\n" + caret
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
	return strings.TrimSuffix(src, "\r"), true
}

// MaxEcho is the most columns of user input that [Quote] and [Excerpt]
// echo; longer input is clipped, the cut marked with "…".
const MaxEcho = 72

// Quote returns s double-quoted for an error message, like strconv.Quote:
// printable characters as they are, everything else (control characters
// such as the escape \x1b, invalid UTF-8, invisible format characters) as a
// Go escape, so that echoing user input cannot drive the terminal. If the
// quoted form would be wider than [MaxEcho] columns, only the start of s is
// kept and "…" follows the closing quote, as in "aaaaaaaa"….
func Quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	w := 1
	for i := 0; i < len(s); {
		g, size := glyphAt(s, i)
		i += size
		switch g.text {
		case `"`, `\`:
			g = glyph{`\` + g.text, 2}
		case "\t":
			g = glyph{`\t`, 2}
		}
		if w+g.width+1 > MaxEcho {
			b.WriteString(`"…`)
			return b.String()
		}
		b.WriteString(g.text)
		w += g.width
	}
	b.WriteByte('"')
	return b.String()
}

// Excerpt prepares a line of user input for display under an error
// message, with a caret at the rune column col (1-based; col may be one
// past the end). It returns the line as shown — printable characters as
// they are, others as Go escapes (\x1b, \r, \u202e, \xff for a byte that
// is not UTF-8), clipped to about [MaxEcho] columns around col with "…"
// marking each cut — and the caret line: spaces (and a tab under each tab)
// up to the caret, then "^". Wide characters (CJK, emoji) count as two
// columns.
func Excerpt(line string, col int) (text, caret string) {
	gs := glyphs(line)
	k := min(max(col-1, 0), len(gs)) // index of the glyph under the caret
	// Columns before each glyph.
	at := make([]int, len(gs)+1)
	for i, g := range gs {
		at[i+1] = at[i] + g.width
	}
	lo, hi := 0, len(gs)
	if at[hi] > MaxEcho {
		// Keep about a third of the window before the caret.
		for lo < k && at[k]-at[lo] > MaxEcho/3 {
			lo++
		}
		for hi > k && at[hi]-at[lo] > MaxEcho {
			hi--
		}
		for lo > 0 && at[hi]-at[lo-1] <= MaxEcho {
			lo--
		}
	}
	var t, c strings.Builder
	if lo > 0 {
		t.WriteString("…")
		c.WriteByte(' ')
	}
	for i := lo; i < hi; i++ {
		t.WriteString(gs[i].text)
		if i < k {
			if gs[i].text == "\t" {
				c.WriteByte('\t')
			} else {
				c.WriteString(strings.Repeat(" ", gs[i].width))
			}
		}
	}
	if hi < len(gs) {
		t.WriteString("…")
	}
	c.WriteByte('^')
	return t.String(), c.String()
}

// glyph is how one rune (or one byte that is not UTF-8) of user input is
// shown, and how many terminal columns that takes.
type glyph struct {
	text  string
	width int
}

// glyphs splits s into runes as a range loop does (one per byte that is
// not UTF-8) and returns how each is shown.
func glyphs(s string) []glyph {
	var gs []glyph
	for i := 0; i < len(s); {
		g, size := glyphAt(s, i)
		gs = append(gs, g)
		i += size
	}
	return gs
}

// glyphAt returns how the rune starting at s[i] is shown (a byte that is not
// UTF-8 counting as one rune) and its size in bytes.
func glyphAt(s string, i int) (glyph, int) {
	r, size := utf8.DecodeRuneInString(s[i:])
	switch {
	case r == utf8.RuneError && size == 1:
		return glyph{fmt.Sprintf(`\x%02x`, s[i]), 4}, 1
	case r == '\t':
		return glyph{"\t", 1}, 1
	case !strconv.IsPrint(r) || unicode.In(r, unicode.Mn, unicode.Me):
		// Not printable, or zero width (a combining mark): escape.
		q := strconv.QuoteRuneToASCII(r)
		q = q[1 : len(q)-1]
		return glyph{q, len(q)}, size
	case wide(r):
		return glyph{s[i : i+size], 2}, size
	}
	return glyph{s[i : i+size], 1}, size
}

// wide reports whether r is shown two columns wide by terminals (the main
// East Asian Wide and Fullwidth blocks and emoji).
func wide(r rune) bool {
	switch {
	case r < 0x1100:
		return false
	case r <= 0x115f, // Hangul Jamo
		0x2e80 <= r && r <= 0xa4cf && r != 0x303f, // CJK … Yi
		0xac00 <= r && r <= 0xd7a3,                // Hangul syllables
		0xf900 <= r && r <= 0xfaff,                // CJK compatibility ideographs
		0xfe30 <= r && r <= 0xfe4f,                // CJK compatibility forms
		0xff00 <= r && r <= 0xff60,                // fullwidth forms
		0xffe0 <= r && r <= 0xffe6,
		0x1f300 <= r && r <= 0x1f64f, // pictographs, emoticons
		0x1f900 <= r && r <= 0x1f9ff,
		0x20000 <= r && r <= 0x3fffd: // CJK extensions
		return true
	}
	return false
}
