"""Reports: the training plot (matplotlib and built-in SVG), lgn-run's
per-class report and confusion matrix, lgn-train's final summary."""
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import lgc
from conftest import generate, tool

LOG = """iteration,seconds,train_loss,train_accuracy,test_relaxed_accuracy,test_discrete_accuracy
100,1.0,2.1,0.40,0.50,0.48
200,2.0,1.5,0.60,0.66,0.64
300,3.0,1.1,0.70,0.73,0.72
400,4.0,0.9,0.75,0.76,0.755
"""


def plot(*args):
    return subprocess.run([sys.executable, "-m", "lgc.plot", *map(str, args)],
                          capture_output=True, text=True)


def test_plot_writes_images(workdir):
    pytest.importorskip("matplotlib")
    log = workdir / "train.csv"
    log.write_text(LOG)
    png, svg = workdir / "train.png", workdir / "train.svg"
    r = plot(log, "-o", png, "--subtitle", "layers=2x500")
    assert r.returncode == 0, r.stderr
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10000
    assert plot(log, "-o", svg).returncode == 0
    ET.parse(svg)  # well-formed


@pytest.mark.parametrize("text,message", [
    ("", "train.csv:1: error: empty log"),
    ("a,b,c\n1,2,3\n", "train.csv:1: error: not an lgn-train log"),
    (LOG.replace("2.0,1.5", "2.0,x"), "train.csv:3: error: expected a number, found 'x'"),
    (LOG + "500,5.0\n", "train.csv:6: error: 2 fields, expected 6"),
    (LOG.splitlines()[0] + "\n", "error: the log has no evaluations yet"),
])
def test_plot_rejects_bad_logs(workdir, text, message):
    log = workdir / "train.csv"
    log.write_text(text)
    out = workdir / "bad.png"
    r = plot(log, "-o", out)
    assert r.returncode == 1 and message in r.stderr, r.stderr
    assert not out.exists()


def test_plot_argument_errors(workdir):
    r = plot(workdir / "absent.csv", "-o", workdir / "x.png")
    assert r.returncode == 1 and "absent.csv: error:" in r.stderr
    r = plot(workdir / "absent.csv", "-o", workdir / "x.gif")
    assert r.returncode == 1 and ".png, .svg or .pdf" in r.stderr


def text_boxes(svg):
    """(x0, y0, x1, y1, text) of each unrotated <text>, estimated from its
    font size (0.6 em a character)."""
    ns = "{http://www.w3.org/2000/svg}"
    root = ET.parse(svg).getroot()
    boxes = []
    for t in root.iter(ns + "text"):
        if "transform" in t.attrib:
            continue
        size = float(t.get("font-size", root.get("font-size", "12")))
        bold = t.get("font-weight") == "bold"
        w = len(t.text or "") * size * (0.66 if bold else 0.6)
        x, y = float(t.get("x")), float(t.get("y"))
        anchor = t.get("text-anchor", "start")
        x0 = x - w if anchor == "end" else x - w / 2 if anchor == "middle" else x
        boxes.append((x0, y - size * 0.8, x0 + w, y + size * 0.2, t.text))
    return boxes, float(root.get("width"))


def test_built_in_svg_is_readable(workdir):
    """lgn-train without matplotlib: the built-in SVG has ticks and legends,
    keeps every label on the canvas, and no two labels overlap."""
    csv = workdir / "task.csv"
    rng = np.random.default_rng(2)
    x = rng.random((300, 6))
    np.savetxt(csv, np.column_stack([x, (x[:, 0] > x[:, 1]).astype(int)]),
               delimiter=",", fmt="%.4f")
    svg = workdir / "curves.svg"
    env = dict(os.environ, LGC_PYTHON="/nonexistent/python3")
    r = subprocess.run([tool("lgn-train"), "--data", f"csv:{csv}", "--layers", "2x40",
                        "--connections", "random", "--iterations", "400", "--quiet", "--plot", str(svg),
                        "-o", str(workdir / "curves.lgn")], env=env,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "built-in SVG" in r.stderr
    # The auto schedule evaluates every 5 % of 400 iterations: 20 points.
    assert r.stderr.count("done:") == 1
    boxes, width = text_boxes(svg)
    labels = [b[4] for b in boxes]
    assert "iteration" in labels and "train loss" in labels and "test (discretised)" in labels
    assert sum(1 for t in labels if t.replace(".", "").isdigit()) >= 16  # tick labels
    for x0, y0, x1, y1, text in boxes:
        assert 0 <= x0 and x1 <= width, f"{text!r} leaves the canvas"
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            overlap = a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
            assert not overlap, f"{a[4]!r} overlaps {b[4]!r}"
    ns = "{http://www.w3.org/2000/svg}"
    points = ET.parse(svg).getroot().find(ns + "polyline").get("points").split()
    assert len(points) == 20


def test_lgn_run_report_matches_the_interpreter(workdir, fashion_test):
    x, y = fashion_test
    lgn = generate(workdir / "report.lgn", 784, "2x600", 10, seed=8,
                   extra=["--pass-through", "0.4"])
    n = 3000
    with lgc.load(lgn) as net:
        classes = net.predict(x[:n])
    want = np.zeros((10, 10), dtype=np.int64)
    np.add.at(want, (y[:n].astype(np.int64), classes.astype(np.int64)), 1)
    confusion, summary = workdir / "confusion.csv", workdir / "report.json"
    r = subprocess.run([tool("lgn-run"), str(lgn), "--data", "fashion-mnist", "--limit", str(n),
                        "--report", "--confusion", str(confusion), "--json", str(summary)],
                       check=True, capture_output=True, text=True)
    table = np.loadtxt(confusion, delimiter=",", skiprows=1, dtype=np.int64)
    np.testing.assert_array_equal(table[:, 0], np.arange(10))
    np.testing.assert_array_equal(table[:, 1:], want)
    s = json.loads(summary.read_text())
    np.testing.assert_array_equal(np.array(s["confusion"]), want)
    for c, entry in enumerate(s["per_class"]):
        assert entry["class"] == c and entry["samples"] == want[c].sum()
        assert entry["correct"] == want[c, c]
        assert entry["accuracy"] == pytest.approx(want[c, c] / want[c].sum(), abs=1e-6)
    assert s["correct"] == np.trace(want)
    # The printed report: one line per class and the matrix.
    assert "per class" in r.stdout and "confusion matrix" in r.stdout
    row0 = next(l for l in r.stdout.splitlines() if l.strip().startswith("0:"))
    assert f"({want[0, 0]}/{want[0].sum()})" in row0
