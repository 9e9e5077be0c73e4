#!/usr/bin/env python3
"""Draws docs/scaling.svg from docs/scaling.csv (written by
`cargo bench --bench side_by_side -- scaling`): the full plan's time and the
process's peak memory against the number of products, log-log, with a
dotted line of linear growth through the first point. Plain SVG text, no
dependencies.

    python3 benches/scaling_chart.py
"""

import csv
import math
import os

HERE = os.path.dirname(os.path.abspath(__file__))
DOCS = os.path.join(HERE, "..", "docs")

W, H = 440, 320
LEFT, RIGHT, TOP, BOTTOM = 70, 20, 40, 50


def read():
    with open(os.path.join(DOCS, "scaling.csv"), newline="") as f:
        return [r for r in csv.DictReader(f)]


def decades(lo, hi):
    a, b = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    if a == b:
        b += 1
    return a, b


def label(v, unit):
    if unit == "products":
        return {1: "1", 10: "10", 100: "100", 1000: "1k", 10**4: "10k", 10**5: "100k", 10**6: "1M", 10**7: "10M"}.get(v, str(v))
    if unit == "s":
        return f"{v:g} s"
    return f"{v:g} MB"


def chart(x0, title, xs, ys, unit, series_label):
    """One log-log line chart at horizontal offset x0; returns SVG text."""
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM
    xa, xb = decades(min(xs), max(xs))
    ya, yb = decades(min(ys), max(ys))

    def px(x):
        return x0 + LEFT + (math.log10(x) - xa) / (xb - xa) * pw

    def py(y):
        return TOP + ph - (math.log10(y) - ya) / (yb - ya) * ph

    out = [f'<text x="{x0 + W / 2}" y="22" text-anchor="middle" font-weight="bold">{title}</text>']
    out.append(f'<rect x="{x0 + LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" stroke="#888"/>')
    for e in range(xa, xb + 1):
        x = px(10**e)
        out.append(f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{TOP + ph}" stroke="#ddd"/>')
        out.append(f'<text x="{x:.1f}" y="{TOP + ph + 16}" text-anchor="middle">{label(10**e, "products")}</text>')
    for e in range(ya, yb + 1):
        y = py(10**e)
        out.append(f'<line x1="{x0 + LEFT}" y1="{y:.1f}" x2="{x0 + LEFT + pw}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{x0 + LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{label(10.0**e, unit)}</text>')
    out.append(f'<text x="{x0 + LEFT + pw / 2}" y="{H - 12}" text-anchor="middle">products</text>')
    # Linear growth through the first point, for comparison.
    lin = [(x, ys[0] * x / xs[0]) for x in (xs[0], xs[-1])]
    out.append(
        f'<line x1="{px(lin[0][0]):.1f}" y1="{py(lin[0][1]):.1f}" x2="{px(lin[1][0]):.1f}" y2="{py(lin[1][1]):.1f}" '
        'stroke="#999" stroke-dasharray="4 3"/>'
    )
    pts = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in zip(xs, ys))
    out.append(f'<polyline points="{pts}" fill="none" stroke="#1f5fa8" stroke-width="2"/>')
    for x, y in zip(xs, ys):
        out.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3.5" fill="#1f5fa8"/>')
        text = f"{y:.3g}" if unit == "s" else f"{y:.0f}"
        out.append(f'<text x="{px(x) + 6:.1f}" y="{py(y) - 6:.1f}">{text}</text>')
    out.append(
        f'<text x="{x0 + LEFT + 8}" y="{TOP + 16}" fill="#1f5fa8">{series_label}</text>'
        f'<text x="{x0 + LEFT + 8}" y="{TOP + 32}" fill="#777">dashed: linear growth</text>'
    )
    return "\n".join(out)


def main():
    rows = read()
    xs = [float(r["planned"]) for r in rows]
    t = [float(r["total_ms"]) / 1000 for r in rows]
    m = [float(r["peak_mb"]) for r in rows]
    svg = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{2 * W}" height="{H}" '
        'font-family="sans-serif" font-size="12">',
        '<rect width="100%" height="100%" fill="white"/>',
        chart(0, "Full plan time (PostgreSQL, median)", xs, t, "s", "load + rules + rationale"),
        chart(W, "Peak memory of the process (VmHWM)", xs, m, "MB", "peak RSS"),
        "</svg>",
    ]
    path = os.path.join(DOCS, "scaling.svg")
    with open(path, "w") as f:
        f.write("\n".join(svg) + "\n")
    for (x0, y0), (x1, y1), name in [((xs[-2], t[-2]), (xs[-1], t[-1]), "time"), ((xs[-2], m[-2]), (xs[-1], m[-1]), "memory")]:
        slope = math.log(y1 / y0) / math.log(x1 / x0)
        print(f"{name}: slope {slope:.2f} on log-log from {x0:.0f} to {x1:.0f} products ({y1 / y0:.1f}x for {x1 / x0:.1f}x)")
    print(f"written: {os.path.normpath(path)}")


if __name__ == "__main__":
    main()
