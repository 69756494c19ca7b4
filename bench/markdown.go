package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"
)

// The README's performance table is written from one report by
//
//	go run ./bench -markdown bench/results/latest.json
//
// so that every number in it comes from the same run: one line per case,
// chainrule's variants in its cell and each peer's rows, with the ratio
// chainrule ÷ row in brackets (a peer's variant against chainrule's row of
// the same variant where there is one), in the peer's column.

// markdownColumns are the table's peer columns, in order, after chainrule's.
var markdownColumns = []struct{ base, title string }{
	{"torch", "PyTorch"}, {"gorgonia", "Gorgonia"}, {"gomlx", "GoMLX"}, {"hand-go", "hand-written Go"},
}

// writeMarkdownFile reads the report at path and writes its table.
func writeMarkdownFile(path string, w io.Writer) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var rep Report
	if err := json.Unmarshal(data, &rep); err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	if len(rep.Cases) == 0 {
		return fmt.Errorf("%s: no cases", path)
	}
	return writeMarkdown(&rep, w)
}

// writeMarkdown writes rep's results as a Markdown table.
func writeMarkdown(rep *Report, w io.Writer) error {
	var b strings.Builder
	b.WriteString("| case | chainrule |")
	for _, c := range markdownColumns {
		b.WriteString(" " + c.title + " |")
	}
	b.WriteString("\n|---|---|" + strings.Repeat("---|", len(markdownColumns)) + "\n")
	for _, c := range rep.Cases {
		rows := rowsOf(rep, c.Name)
		if len(rows) == 0 {
			continue
		}
		fmt.Fprintf(&b, "| %s: %s | %s |", c.Name, mdEscape(c.Desc), chainruleCell(rows))
		for _, col := range markdownColumns {
			b.WriteString(" " + peerCell(rows, col.base) + " |")
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// rowsOf returns the rows of the case named name, in report order.
func rowsOf(rep *Report, name string) []*Row {
	var rows []*Row
	for _, r := range rep.Rows {
		if r.Case == name {
			rows = append(rows, r)
		}
	}
	return rows
}

// baseImpl returns the implementation an impl name belongs to:
// "torch" for "torch/vectorize".
func baseImpl(impl string) string {
	base, _, _ := strings.Cut(impl, "/")
	return base
}

// chainruleCell lists chainrule's rows: the plain one first with its
// notes, then each variant by its suffix with its ratio to the plain one
// (the plain one's time ÷ the variant's).
func chainruleCell(rows []*Row) string {
	var parts []string
	for _, r := range rows {
		if baseImpl(r.Impl) != "chainrule" {
			continue
		}
		_, variant, _ := strings.Cut(r.Impl, "/")
		if r.Status != statusOK {
			parts = append(parts, strings.TrimSpace(variant+" "+r.Status))
			continue
		}
		s := fmtDuration(r.Median)
		if variant != "" {
			s = variant + " " + s
		}
		if len(r.Notes) > 0 {
			s += " (" + mdEscape(strings.Join(r.Notes, "; ")) + ")"
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return "—"
	}
	return strings.Join(parts, "; ")
}

// peerCell lists the rows of peer base: time and, in brackets, chainrule's
// time ÷ the row's, where a variant (torch/primal) is compared with
// chainrule's row of the same variant (chainrule/primal) when there is
// one; a skipped peer's reason; "—" when it has no row.
func peerCell(rows []*Row, base string) string {
	var parts []string
	for _, r := range rows {
		if baseImpl(r.Impl) != base {
			continue
		}
		_, variant, _ := strings.Cut(r.Impl, "/")
		var s string
		switch r.Status {
		case statusOK:
			ratio := r.Ratio
			if c := sameVariant(rows, variant); c != nil && r.Median > 0 {
				ratio = c.Median / r.Median
			}
			s = fmt.Sprintf("%s (%s)", fmtDuration(r.Median), mdRatio(ratio))
		case "skipped":
			if strings.HasPrefix(r.Reason, "not written") {
				continue // the peer has no API for it: "—"
			}
			s = "not run: " + mdEscape(clip(strings.TrimPrefix(r.Reason, "cannot run: "), 90))
		default:
			s = r.Status
			if r.Reason != "" {
				s += ": " + mdEscape(r.Reason)
			}
		}
		if variant != "" {
			s = variant + " " + s
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return "—"
	}
	return strings.Join(parts, "; ")
}

// sameVariant returns chainrule's timed row of the given variant, or nil
// for no variant or none timed.
func sameVariant(rows []*Row, variant string) *Row {
	if variant == "" {
		return nil
	}
	for _, r := range rows {
		if r.Impl == "chainrule/"+variant && r.Status == statusOK {
			return r
		}
	}
	return nil
}

// mdRatio formats a ratio with two decimals, or two significant digits
// below 0.01.
func mdRatio(v float64) string {
	if v > 0 && v < 0.01 {
		return fmt.Sprintf("%.2g", v)
	}
	if v >= 10 {
		return sig3(v)
	}
	return fmt.Sprintf("%.2f", v)
}

// clip cuts s after n bytes (at a rune boundary), marking the cut with "…".
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// mdEscape keeps s inside one table cell.
func mdEscape(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}
