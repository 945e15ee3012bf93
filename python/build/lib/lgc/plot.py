"""Training curves from an lgn-train log.

    python3 -m lgc.plot train.csv -o train.png     # or .svg / .pdf
    python3 -m lgc.plot train.csv -o train.png --title "784x3 -> 4x8000"

Two panels: the training loss, and the accuracies (train relaxed, and the
evaluation set's relaxed and discretised accuracy) on axes scaled to the
data, with ticks, a grid and a legend; the run's configuration (lgn-train
passes it as --subtitle; a log's '#' comment lines serve too) as a subtitle. Needs matplotlib
(Debian: python3-matplotlib).
"""
import argparse
import csv
import os
import sys
import textwrap

from .errors import LgcError

_COLUMNS = ("iteration", "seconds", "train_loss", "train_accuracy")


def read_log(path):
    """(columns, rows, comments) of an lgn-train CSV log; LgcError with
    file:line for anything else."""
    try:
        with open(path, newline="") as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise LgcError(f"{path}: error: {e.strerror}") from None
    comments = [l[1:].strip() for l in lines if l.startswith("#")]
    body = [(i + 1, l) for i, l in enumerate(lines) if l.strip() and not l.startswith("#")]
    if not body:
        raise LgcError(f"{path}:1: error: empty log (expected lgn-train's CSV header)")
    header_line, header = body[0][0], next(csv.reader([body[0][1]]))
    if tuple(header[:4]) != _COLUMNS or len(header) != 6 or not all(
            h.endswith(("_relaxed_accuracy", "_discrete_accuracy")) for h in header[4:]):
        raise LgcError(f"{path}:{header_line}: error: not an lgn-train log (expected the "
                       f"columns {', '.join(_COLUMNS)}, <set>_relaxed_accuracy, "
                       f"<set>_discrete_accuracy)")
    rows = []
    for line_no, text in body[1:]:
        fields = next(csv.reader([text]))
        if len(fields) != len(header):
            raise LgcError(f"{path}:{line_no}: error: {len(fields)} fields, expected "
                           f"{len(header)}")
        try:
            rows.append([float(v) for v in fields])
        except ValueError:
            bad = next(v for v in fields if not _is_number(v))
            raise LgcError(f"{path}:{line_no}: error: expected a number, found {bad!r}") from None
    if not rows:
        raise LgcError(f"{path}: error: the log has no evaluations yet")
    return header, rows, comments


def _is_number(text):
    try:
        float(text)
        return True
    except ValueError:
        return False


def plot(log, output, title=None, subtitle=None):
    """Writes the curves of `log` to `output` (.png, .svg or .pdf)."""
    header, rows, comments = read_log(log)
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise LgcError("lgc.plot needs matplotlib (Debian: python3-matplotlib)") from None
    cols = {name: [r[i] for r in rows] for i, name in enumerate(header)}
    eval_set = header[4][: -len("_relaxed_accuracy")]
    it = cols["iteration"]

    fig, (loss_ax, acc_ax) = plt.subplots(2, 1, figsize=(8, 6.4), sharex=True,
                                          constrained_layout=True)
    loss_ax.plot(it, cols["train_loss"], color="#d62728", marker="o", markersize=3,
                 label="training loss (since the last evaluation)")
    loss_ax.set_ylabel("cross-entropy")
    loss_ax.set_ylim(bottom=0)
    acc_series = [
        ("train_accuracy", "train (relaxed)", "#1f77b4", "-"),
        (header[4], f"{eval_set} (relaxed)", "#2ca02c", "--"),
        (header[5], f"{eval_set} (discretised)", "#9467bd", "-"),
    ]
    values = []
    for key, label, color, style in acc_series:
        ys = [100 * v for v in cols[key]]
        values += ys
        acc_ax.plot(it, ys, color=color, linestyle=style, marker="o", markersize=3, label=label)
    # Scaled to the curves, not to 0-100 %, so runs that differ by tenths
    # of a point are told apart.
    lo, hi = min(values), max(values)
    pad = max(0.5, 0.08 * (hi - lo))
    acc_ax.set_ylim(max(0, lo - pad), min(100, hi + pad))
    acc_ax.set_ylabel("accuracy (%)")
    # The run's summary goes into the axis label, where no curve can be.
    best = max(range(len(it)), key=lambda i: cols[header[5]][i])
    acc_ax.set_xlabel(
        f"iteration   ({int(it[-1])} in {cols['seconds'][-1]:.0f} s; best {eval_set} "
        f"discretised {100 * cols[header[5]][best]:.2f} % at {int(it[best])})")
    for ax in (loss_ax, acc_ax):
        ax.grid(True, alpha=0.3)
        ax.legend(loc="best", fontsize=9)
    heading = title or "lgn-train: " + os.path.basename(log)
    fig.suptitle(heading, fontsize=12)
    config = "; ".join([subtitle] if subtitle else comments)
    if config:
        loss_ax.set_title("\n".join(textwrap.wrap(config, 110)), fontsize=8, color="#555555")
    fig.savefig(output, dpi=120)
    plt.close(fig)
    return output


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m lgc.plot",
                                 description="Training curves from an lgn-train log")
    ap.add_argument("log", help="the CSV that lgn-train --log writes")
    ap.add_argument("-o", "--output", required=True, help="the picture (.png, .svg, .pdf)")
    ap.add_argument("--title", help="the heading (default: the log's name)")
    ap.add_argument("--subtitle", help="the run's configuration, under the heading "
                    "(default: the log's # comment lines)")
    args = ap.parse_args(argv)
    if not args.output.lower().endswith((".png", ".svg", ".pdf")):
        print("lgc.plot: error: the output must end in .png, .svg or .pdf", file=sys.stderr)
        return 1
    try:
        plot(args.log, args.output, args.title, args.subtitle)
    except LgcError as e:
        print(f"lgc.plot: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
