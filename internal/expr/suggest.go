package expr

import (
	"sort"
	"strings"
)

// aliases maps names that users of other languages write for a function
// to the built-in function (or an expression) to use instead.
var aliases = map[string]string{
	"ln": "log", "log10": "log(x) / log(10)", "log2": "log(x) / log(2)",
	"exp2": "2^x", "square": "x^2",
	"arcsin": "asin", "arccos": "acos", "arctan": "atan", "arctan2": "atan2",
	"asinh": "log(x + sqrt(x^2 + 1))", "acosh": "log(x + sqrt(x^2 - 1))",
	"atanh":   "log((1 + x) / (1 - x)) / 2",
	"maximum": "max", "minimum": "min", "fmax": "max", "fmin": "min",
	"amax": "max", "amin": "min",
	"power": "pow", "absolute": "abs", "fabs": "abs",
	"logistic": "sigmoid", "expit": "sigmoid",
	"diff": "d", "deriv": "d", "derivative": "d", "grad": "d", "D": "d",
	"neg": "-x", "negative": "-x",
}

// suggest returns a hint for the unknown function name, such as
// " (did you mean log?)", or "" if nothing is close. It tries, in order: a
// known alias from another language (ln → log), the name in lower case
// (Sin → sin), and the built-in function (other than d) nearest in edit
// distance, if within one edit for names of up to four letters and two
// edits for longer ones (an edit being an insertion, deletion, substitution
// or swap of neighbours).
func suggest(name string) string {
	if s, ok := aliases[name]; ok {
		if _, isFunc := funcs[s]; isFunc || s == "d" {
			return " (did you mean " + s + "?)"
		}
		return " (write " + s + ")"
	}
	if lower := strings.ToLower(name); lower != name {
		if _, ok := funcs[lower]; ok {
			return " (did you mean " + lower + "?)"
		}
	}
	limit := 1
	if len(name) > 4 {
		limit = 2
	}
	if len(name) > 30 {
		return "" // far from every name; and keep the work small
	}
	names := make([]string, 0, len(funcs))
	for f := range funcs {
		if f != "d" {
			names = append(names, f)
		}
	}
	sort.Strings(names)
	best, bestDist := "", limit+1
	for _, f := range names {
		if d := editDistance(name, f); d < bestDist {
			best, bestDist = f, d
		}
	}
	if best == "" {
		return ""
	}
	return " (did you mean " + best + "?)"
}

// editDistance returns the optimal string alignment distance between a and
// b (bytes): the fewest insertions, deletions, substitutions and swaps of
// neighbouring bytes that turn a into b, no substring edited twice.
func editDistance(a, b string) int {
	// d[i][j] is the distance between a[:i] and b[:j].
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
