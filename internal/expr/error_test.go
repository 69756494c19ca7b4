package expr

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"x", `"x"`},
		{"", `""`},
		{`a"b\c`, `"a\"b\\c"`},
		{"\x1b[31mred", `"\x1b[31mred"`},
		{"a\tb\nc\rd\x00", `"a\tb\nc\rd\x00"`},
		{"\xff\xfe", `"\xff\xfe"`},
		{"αβ", `"αβ"`},
		{"\u202etxt", `"\u202etxt"`},
		{"e\u0301", `"e\u0301"`}, // a combining mark is zero width: escaped
		{strings.Repeat("a", 100000), `"` + strings.Repeat("a", MaxEcho-2) + `"…`},
		{strings.Repeat("\x1b", 100), `"` + strings.Repeat(`\x1b`, (MaxEcho-2)/4) + `"…`},
	}
	for _, tt := range tests {
		if got := Quote(tt.in); got != tt.want {
			t.Errorf("Quote(%.40q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// FuzzQuote checks Quote against strconv.Unquote: an unclipped result reads
// back as the input, a clipped one as a prefix of it; the result is never
// wider than MaxEcho columns (+ "…") and holds no control character.
func FuzzQuote(f *testing.F) {
	for _, s := range []string{"x", "\x1b[2J", "\xff", `"\`, "e\u0301", "日本", strings.Repeat("ab\x01", 40)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := Quote(s)
		body, clipped := strings.CutSuffix(q, "…")
		u, err := strconv.Unquote(body)
		if err != nil {
			t.Fatalf("Quote(%q) = %s does not unquote: %v", s, q, err)
		}
		if clipped && !strings.HasPrefix(s, u) || !clipped && u != s {
			t.Fatalf("Quote(%q) = %s reads back as %q", s, q, u)
		}
		if w := width(body); w > MaxEcho {
			t.Fatalf("Quote(%q) is %d columns wide", s, w)
		}
		checkShown(t, q)
	})
}

// width returns the columns s takes on a terminal (s printable).
func width(s string) int {
	w := 0
	for _, r := range s {
		w++
		if wide(r) {
			w++
		}
	}
	return w
}

// checkShown fails if s holds anything a terminal would not show as it is.
func checkShown(t *testing.T, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Fatalf("%q is not UTF-8", s)
	}
	for _, r := range s {
		if r != '\t' && (!strconv.IsPrint(r) || unicode.In(r, unicode.Mn, unicode.Me)) {
			t.Fatalf("%q holds %U", s, r)
		}
	}
}

func TestExcerpt(t *testing.T) {
	tests := []struct {
		line        string
		col         int
		text, caret string
	}{
		{"x + * y", 5, "x + * y", "    ^"},
		{"x + y", 6, "x + y", "     ^"}, // one past the end
		{"\tx\t+ *", 6, "\tx\t+ *", "\t \t  ^"},
		{"\x1b[2Jx + *", 9, `\x1b[2Jx + *`, "           ^"},
		{"日本 + *", 6, "日本 + *", "       ^"},
		{"x\xff*", 3, `x\xff*`, "     ^"},
	}
	for _, tt := range tests {
		text, caret := Excerpt(tt.line, tt.col)
		if text != tt.text || caret != tt.caret {
			t.Errorf("Excerpt(%q, %d) = %q, %q; want %q, %q", tt.line, tt.col, text, caret, tt.text, tt.caret)
		}
	}
}

// A long line is clipped around the column; the caret stays under the
// character at the column.
func TestExcerptLong(t *testing.T) {
	line := strings.Repeat("abcdefghij", 10000) // 100,000 columns
	for _, col := range []int{1, 2, 30, 50000, 99990, 100000, 100001} {
		text, caret := Excerpt(line, col)
		if w := width(text); w > MaxEcho+2 {
			t.Errorf("col %d: excerpt %d columns wide: %q", col, w, text)
		}
		if !strings.HasSuffix(caret, "^") || strings.Trim(caret, " ^") != "" {
			t.Fatalf("col %d: caret line %q", col, caret)
		}
		shown := []rune(text)
		i := len(caret) - 1
		if col <= len(line) {
			if i >= len(shown) || shown[i] != rune(line[col-1]) {
				t.Errorf("col %d: caret at %d of %q, want under %q", col, i, text, line[col-1])
			}
		} else if i != len(shown) {
			t.Errorf("col %d (past the end): caret at %d of %q", col, i, text)
		}
		if col > MaxEcho && !strings.HasPrefix(text, "…") || col < len(line)-MaxEcho && !strings.HasSuffix(text, "…") {
			t.Errorf("col %d: cuts not marked: %q", col, text)
		}
	}
}

// A 100 KB name gives a short error, not 200 KB.
func TestLongInputError(t *testing.T) {
	name := strings.Repeat("v", 100000)
	for _, src := range []string{
		name + " 2",
		"2 " + name,
		name + "(x)",
		strings.Repeat("9", 100000) + "x",
		"x + * " + name,
		"1" + strings.Repeat("0", 400),
		"2 " + strings.Repeat("3", 100000),
	} {
		_, err := Parse(src)
		var pe *Error
		if !errors.As(err, &pe) {
			t.Fatalf("Parse(%.20q...): %v", src, err)
		}
		if msg := err.Error(); len(msg) > 400 {
			t.Errorf("Parse(%.20q...): error of %d bytes: %.200q", src, len(msg), msg)
		}
	}
}
