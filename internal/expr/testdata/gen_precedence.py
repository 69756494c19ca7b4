#!/usr/bin/env python3
"""Generates precedence.json: expressions of the chainrule expression
language and their values as Python reads them.

Python's grammar (power: primary ['**' factor]; factor: ('+'|'-') factor |
power) is the reference for how prefix minus and ^ combine. Each
expression is translated to Python by spelling ^ as ** and the functions as
math.*; nothing else is changed, so Python's own parser decides the
grouping. TestPythonPrecedence in parser_test.go parses each expression with
package expr, evaluates it over float64 and compares.

Run: python3 gen_precedence.py > precedence.json
"""
import json
import math
import re

AT = {"x": 2.0, "y": 3.0, "z": 0.5}

CASES = [
    "-(x+1)^2",
    "- (x+1)^2",
    "-(x+1)**2",
    "exp(-(x-1)^2/2)",
    "-x^2",
    "-(x)^2",
    "(-x)^2",
    "(-(x))^2",
    "-(-x)^2",
    "--x^2",
    "-+-x^2",
    "+-x^2",
    "2^-x",
    "2^-x^2",
    "2 ** -x ** 2",
    "2^-(x)^2",
    "2^-(x+1)^2",
    "-2^-3^z",
    "x^-y^z",
    "x ** -y ** z",
    "x^y^-z",
    "-x^-y",
    "x*-y",
    "x * -y^2",
    "x/-y^2",
    "x - -y^2",
    "x + -(y)^2",
    "-x*y^2",
    "-x^2*y",
    "-x*y",
    "-x+y",
    "y * -(x) ^ 3",
    "-(x)",
    "-sin(x)^2",
    "-sin(x)^-y",
    "-(x*y)^z",
    "-(x^y)^z",
    "(-(x^y))^y",
    "-x^y^z",
    "x^-(y)^-z",
    "2^-(-(x))^2",
    "x - (-(y))^2",
    "-(x - 1)^3 + 1",
    "-(x - y)^2 / -(z)^2",
    "exp(-(x-1)^2/2) / sqrt(2*3.141592653589793)",
    "- - - x ^ 2",
    "-2^2",
    "(-2)^2",
    "-2^-2",
    "x^2^-1",
]


def to_python(src):
    s = src.replace("^", "**")
    return re.sub(r"\b(exp|sin|sqrt)\(", r"math.\1(", s)


def main():
    out = []
    for src in CASES:
        v = eval(to_python(src), {"math": math}, dict(AT))
        out.append({"expr": src, "at": AT, "value": float(v)})
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
