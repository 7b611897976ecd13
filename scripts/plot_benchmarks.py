#!/usr/bin/env python3
"""Reads criterion's results (target/criterion/**/new/estimates.json) and

- prints the Markdown table of medians with ratios against raw tokio and
  tokio-util, per scenario (docs/benchmarks.md);
- writes docs/benchmarks-scaling.svg: ns per process vs N for each scaling
  scenario, one line per peer (log-log).

Given several criterion directories (copies of target/criterion after
separate `cargo bench` runs), each benchmark's figure is the median of its
medians across the runs, and each ratio is the median of the ratios taken
within each run (peers measured minutes apart in the same run share more of
the machine's state than the same peer across runs); goprocess's rows also
show the smallest and largest per-run ratio. On a shared machine one run's
figure for one peer can be off by tens of percent.

Standard library only. Usage:
    scripts/plot_benchmarks.py [--svg OUT] [CRITERION_DIR...]
CRITERION_DIR defaults to $CARGO_TARGET_DIR/criterion or target/criterion;
OUT to docs/benchmarks-scaling.svg.
"""

import json
import math
import os
import statistics
import sys
from pathlib import Path

PEERS = ["goprocess", "tokio", "tokio_util", "joinset", "tgs"]
LABELS = {
    "goprocess": "goprocess",
    "tokio": "raw tokio",
    "tokio_util": "tokio-util",
    "joinset": "JoinSet + token",
    "tgs": "tokio-graceful-shutdown",
}
COLORS = {
    "goprocess": "#d62728",
    "tokio": "#1f77b4",
    "tokio_util": "#2ca02c",
    "joinset": "#9467bd",
    "tgs": "#ff7f0e",
}
GROUPS = [
    ("a_spawn_wait", "(a) spawn one child and wait"),
    ("b_close_idle", "(b) close a parent with N idle children"),
    ("c_batches", "(c) batches of N short-lived children"),
    ("d_tree", "(d) task-less tree, fan-out 10, N nodes: build+close"),
    ("e_chain", "(e) task-less chain N deep: build+close"),
    ("f_struct", "(f) #[process] struct, 3 children + wait_for"),
    ("g_close64", "(g) 64 tasks closing one process"),
    ("g_go_2_threads", "(g) go from 2 threads, 2×1000 children"),
]
SCALING = ["b_close_idle", "c_batches", "d_tree", "e_chain"]


def load_all(roots):
    """({group: {peer: {n or None: median over runs of the median ns}}},
    [the same, one per run])"""
    runs = [load(root) for root in roots]
    data = {}
    for run in runs:
        for group, peers in run.items():
            for peer, series in peers.items():
                for n, v in series.items():
                    data.setdefault(group, {}).setdefault(peer, {}).setdefault(n, []).append(v)
    medians = {
        g: {p: {n: statistics.median(vs) for n, vs in s.items()} for p, s in peers.items()}
        for g, peers in data.items()
    }
    return medians, runs


def ratios(runs, group, peer, base, n):
    """The ratio peer/base within each run that measured both."""
    out = []
    for run in runs:
        v = run.get(group, {}).get(peer, {}).get(n)
        b = run.get(group, {}).get(base, {}).get(n)
        if v is not None and b:
            out.append(v / b)
    return out


def fmt_ratio(rs, spread):
    if not rs:
        return ""
    text = f"{statistics.median(rs):.2f}x"
    if spread and len(rs) > 1:
        text += f" ({min(rs):.2f}–{max(rs):.2f})"
    return text


def load(root):
    """{group: {peer: {n or None: median ns}}}"""
    data = {}
    for est in root.glob("**/new/estimates.json"):
        rel = est.relative_to(root).parts[:-2]
        if len(rel) == 2:
            group, peer, n = rel[0], rel[1], None
        elif len(rel) == 3:
            group, peer, n = rel[0], rel[1], int(rel[2])
        else:
            continue
        median = json.loads(est.read_text())["median"]["point_estimate"]
        data.setdefault(group, {}).setdefault(peer, {})[n] = median
    return data


def fmt_ns(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def table(data, runs):
    lines = [
        "| scenario | N | peer | median | per process | vs raw tokio | vs tokio-util |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for group, title in GROUPS:
        peers = data.get(group, {})
        ns = sorted({n for p in peers.values() for n in p}, key=lambda n: n or 0)
        for n in ns:
            for peer in PEERS:
                v = peers.get(peer, {}).get(n)
                if v is None:
                    continue
                per = fmt_ns(v / n) if n else ""
                spread = peer == "goprocess"
                r1 = fmt_ratio(ratios(runs, group, peer, "tokio", n), spread)
                r2 = fmt_ratio(ratios(runs, group, peer, "tokio_util", n), spread)
                label = f"**{LABELS[peer]}**" if peer == "goprocess" else LABELS[peer]
                lines.append(
                    f"| {title} | {n or ''} | {label} | {fmt_ns(v)} | {per} | {r1} | {r2} |"
                )
    return "\n".join(lines)


def svg(data, out):
    panels = [g for g in SCALING if g in data]
    pw, ph, ml, mr, mt, mb = 420, 300, 70, 20, 40, 50
    cols = 2
    rows = math.ceil(len(panels) / cols)
    legend_h = 40
    width, height = cols * pw, rows * ph + legend_h
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="11">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
    ]
    for i, group in enumerate(panels):
        ox, oy = (i % cols) * pw, (i // cols) * ph
        title = dict(GROUPS)[group]
        points = {
            peer: sorted((n, v / n) for n, v in series.items() if n)
            for peer, series in data[group].items()
        }
        xs = [n for s in points.values() for n, _ in s]
        ys = [y for s in points.values() for _, y in s]
        if not xs:
            continue
        x0, x1 = math.log10(min(xs)), math.log10(max(xs))
        if x1 == x0:
            x0, x1 = x0 - 0.5, x1 + 0.5
        y0, y1 = math.floor(math.log10(min(ys))), math.ceil(math.log10(max(ys)))
        if y1 == y0:
            y1 += 1

        def px(n):
            return ox + ml + (math.log10(n) - x0) / (x1 - x0) * (pw - ml - mr)

        def py(y):
            return oy + ph - mb - (math.log10(y) - y0) / (y1 - y0) * (ph - mt - mb)

        parts.append(
            f'<text x="{ox + pw / 2}" y="{oy + 20}" text-anchor="middle" '
            f'font-weight="bold">{title}</text>'
        )
        parts.append(
            f'<rect x="{ox + ml}" y="{oy + mt}" width="{pw - ml - mr}" '
            f'height="{ph - mt - mb}" fill="none" stroke="#999"/>'
        )
        for e in range(y0, y1 + 1):
            y = py(10**e)
            parts.append(
                f'<line x1="{ox + ml}" x2="{ox + pw - mr}" y1="{y}" y2="{y}" stroke="#eee"/>'
            )
            parts.append(
                f'<text x="{ox + ml - 5}" y="{y + 4}" text-anchor="end">{fmt_ns(10**e)}</text>'
            )
        for n in sorted(set(xs)):
            x = px(n)
            parts.append(
                f'<text x="{x}" y="{oy + ph - mb + 15}" text-anchor="middle">{n:,}</text>'
            )
        parts.append(
            f'<text x="{ox + ml + (pw - ml - mr) / 2}" y="{oy + ph - 12}" '
            f'text-anchor="middle">N (log)</text>'
        )
        parts.append(
            f'<text x="{ox + 14}" y="{oy + mt + (ph - mt - mb) / 2}" text-anchor="middle" '
            f'transform="rotate(-90 {ox + 14} {oy + mt + (ph - mt - mb) / 2})">'
            f"time per process (log)</text>"
        )
        for peer in PEERS:
            s = points.get(peer)
            if not s:
                continue
            path = " ".join(f"{px(n):.1f},{py(y):.1f}" for n, y in s)
            width_ = 2.5 if peer == "goprocess" else 1.5
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{COLORS[peer]}" '
                f'stroke-width="{width_}"/>'
            )
            for n, y in s:
                parts.append(
                    f'<circle cx="{px(n):.1f}" cy="{py(y):.1f}" r="3" fill="{COLORS[peer]}"/>'
                )
    ly = rows * ph + 20
    x = 20
    for peer in PEERS:
        parts.append(
            f'<rect x="{x}" y="{ly - 8}" width="14" height="4" fill="{COLORS[peer]}"/>'
        )
        parts.append(f'<text x="{x + 20}" y="{ly - 2}">{LABELS[peer]}</text>')
        x += 30 + 7 * len(LABELS[peer])
    parts.append("</svg>")
    out.write_text("\n".join(parts) + "\n")


def main():
    args = sys.argv[1:]
    out = Path("docs/benchmarks-scaling.svg")
    if args[:1] == ["--svg"]:
        out, args = Path(args[1]), args[2:]
    default = Path(os.environ.get("CARGO_TARGET_DIR", "target")) / "criterion"
    roots = [Path(a) for a in args] or [default]
    data, runs = load_all(roots)
    if not data:
        sys.exit(f"no criterion results under {roots}; run `cargo bench -p goprocess-benches` first")
    print(table(data, runs))
    svg(data, out)
    print(f"\nwrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
