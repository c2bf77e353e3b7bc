"""Plots per-call time per language against the baselines from `cargo xtask bench`'s report.

Usage: plot.py REPORT_JSON OUT_PNG. Reads `details.<metric>.numerator/denominator.median_ns_per_call`
and writes a horizontal bar chart, log-scale x axis in µs per call, grouped per language.
Run by `cargo xtask bench` in the bench venv (matplotlib pinned in xtask/src/bench.rs).
"""

import datetime
import json
import sys

import matplotlib

matplotlib.use("Agg")  # no display on the bench machine
import matplotlib.pyplot as plt  # noqa: E402

OURS_COLOUR = "#1f77b4"
BASELINE_COLOUR = "#ff7f0e"

# (language, [(label, metric, "numerator" | "denominator", is_ours)]) in plot order, top first.
GROUPS = [
    ("Rust", [
        ("core sign", "core_sign_vs_floor", "numerator", True),
        ("core verify", "core_verify_vs_floor", "numerator", True),
        ("floor (bare HMAC + SHA-256)", "core_sign_vs_floor", "denominator", False),
        ("core SigV4", "core_sigv4_vs_aws_sigv4_crate", "numerator", True),
        ("aws-sigv4 crate", "core_sigv4_vs_aws_sigv4_crate", "denominator", False),
    ]),
    ("Python", [
        ("hmacsig sign (api-auth)", "python_sign_vs_stdlib", "numerator", True),
        ("stdlib signer", "python_sign_vs_stdlib", "denominator", False),
        ("hmacsig sign (SigV4)", "python_sign_vs_botocore", "numerator", True),
        ("botocore", "python_sign_vs_botocore", "denominator", False),
    ]),
    ("Kotlin", [
        ("hmacsig sign", "kotlin_sign_vs_javax", "numerator", True),
        ("javax signer", "kotlin_sign_vs_javax", "denominator", False),
    ]),
    ("Swift", [
        ("hmacsig sign", "swift_sign_vs_empty_call", "numerator", True),
        ("empty call", "swift_sign_vs_empty_call", "denominator", False),
    ]),
]


def median_us(details, metric, side):
    """The case's median in µs per call, or None when the metric was not measured."""
    ns = details.get(metric, {}).get(side, {}).get("median_ns_per_call")
    return None if ns is None else ns / 1000.0


def label_value(us):
    return f"{us:.3g} µs" if us >= 0.1 else f"{us * 1000:.3g} ns"


def title(details):
    when = details.get("unix_time")
    date = datetime.datetime.fromtimestamp(when, datetime.timezone.utc).strftime("%Y-%m-%d") if when else "unknown date"
    machine = details.get("machine", {})
    before = (machine.get("before") or {}).get("load_average") or []
    after = machine.get("load_average_after") or []
    load = f"{before[0]:.2f} → {after[0]:.2f}" if before and after else "unknown"
    cpu = (machine.get("before") or {}).get("cpu_model") or "unknown CPU"
    cores = (machine.get("before") or {}).get("cores")
    return (f"hmacsig: median time per call, small request (log scale)\n"
            f"run of {date}, {cpu}, {cores} cores, 1-min load average {load}")


def main(report_path, out_path):
    with open(report_path, encoding="utf-8") as f:
        details = json.load(f)["details"]

    # Rows from the top: a bold header row per language, then its bars; missing cases say so.
    labels, values, colours, bold = [], [], [], []
    for language, bars in GROUPS:
        labels.append(language)
        values.append(None)
        colours.append(None)
        bold.append(True)
        for label, metric, side, ours in bars:
            labels.append(label)
            values.append(median_us(details, metric, side))
            colours.append(OURS_COLOUR if ours else BASELINE_COLOUR)
            bold.append(False)
    measured = [v for v in values if v is not None]
    if not measured:
        raise SystemExit(f"{report_path} holds no per-call medians to plot")

    ys = list(range(len(labels)))[::-1]
    fig, ax = plt.subplots(figsize=(10, 0.42 * len(labels) + 1.6))
    for y, value, colour in zip(ys, values, colours):
        if colour is None:
            continue
        if value is None:
            ax.text(min(measured), y, "  not measured", va="center", fontsize=9, color="grey")
            continue
        ax.barh(y, value, color=colour, height=0.7)
        ax.text(value * 1.08, y, label_value(value), va="center", fontsize=9)
    ax.set_xscale("log")
    ax.set_xlim(min(measured) / 2, max(measured) * 4)
    ax.set_yticks(ys)
    ax.set_yticklabels(labels)
    for tick, is_header in zip(ax.get_yticklabels(), bold):
        if is_header:
            tick.set_fontweight("bold")
            tick.set_fontsize(11)
    ax.tick_params(axis="y", length=0)
    ax.set_xlabel("µs per call (median over interleaved batches; log scale)")
    ax.grid(axis="x", which="major", alpha=0.3)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(
        handles=[plt.Rectangle((0, 0), 1, 1, color=OURS_COLOUR), plt.Rectangle((0, 0), 1, 1, color=BASELINE_COLOUR)],
        labels=["hmacsig", "baseline"],
        loc="lower right",
    )
    ax.set_title(title(details), fontsize=11)
    fig.tight_layout()
    fig.savefig(out_path, dpi=110)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit("usage: plot.py REPORT_JSON OUT_PNG")
    main(sys.argv[1], sys.argv[2])
