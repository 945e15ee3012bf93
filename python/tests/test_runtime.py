"""lgc.load / Net against the reference interpreter, and its errors."""
import subprocess

import numpy as np
import pytest

import lgc
from conftest import generate, tool


@pytest.fixture(scope="module")
def nets(thermometer_net):
    lgn, so = thermometer_net
    with lgc.load(lgn) as ref, lgc.load(so, threads=2) as fast:
        yield ref, fast


def test_info(nets):
    ref, fast = nets
    assert ref.info.backend == "reference interpreter"
    assert fast.info.backend.startswith("compiled library")
    for field in ("inputs", "features", "classes", "outputs", "tau"):
        assert getattr(ref.info, field) == getattr(fast.info, field), field
    assert (fast.info.inputs, fast.info.features, fast.info.classes) == (120, 40, 5)
    assert fast.info.gates <= ref.info.gates
    assert "40 features -> 5 classes" in repr(fast)


@pytest.mark.parametrize("n", [0, 1, 63, 64, 65, 1000])
@pytest.mark.parametrize("dtype", ["u8", "f32"])
def test_bit_exact_random(nets, n, dtype):
    ref, fast = nets
    rng = np.random.default_rng(n)
    if dtype == "u8":
        x = rng.integers(0, 256, size=(n, 40), dtype=np.uint8)
    else:
        # Exact thresholds and the ends of the range among random values.
        x = rng.choice(np.array([0, 0.25, 0.5, 0.75, 1, *rng.random(20)], dtype=np.float32),
                       size=(n, 40))
    want_classes, want_counts = ref.run(x)
    for threads in (1, 2, 0):
        classes, counts = fast.run(x, threads=threads)
        np.testing.assert_array_equal(counts, want_counts)
        np.testing.assert_array_equal(classes, want_classes)
    assert want_counts.shape == (n, 5) and want_classes.dtype == np.uint32
    # The class is the first index of the largest count.
    if n:
        np.testing.assert_array_equal(want_classes, np.argmax(want_counts, axis=1))
    np.testing.assert_array_equal(fast.scores(x), want_counts / fast.info.tau)


def test_layouts_and_copies(nets):
    _, fast = nets
    rng = np.random.default_rng(3)
    x = rng.integers(0, 256, size=(300, 40), dtype=np.uint8)
    want = fast.predict(x)
    # Fortran order and strided views are copied to C order first.
    np.testing.assert_array_equal(fast.predict(np.asfortranarray(x)), want)
    wide = np.zeros((300, 80), dtype=np.uint8)
    wide[:, ::2] = x
    np.testing.assert_array_equal(fast.predict(wide[:, ::2]), want)
    # One sample as a vector; images as (n, h, w); float64 and bool inputs.
    assert fast.predict(x[7])[0] == want[7]
    np.testing.assert_array_equal(fast.predict(x.reshape(300, 5, 8)), want)
    f = x.astype(np.float64) / 255
    np.testing.assert_array_equal(fast.predict(f), fast.predict(f.astype(np.float32)))
    assert fast.predict(np.ones((2, 40), dtype=bool)).shape == (2,)


def test_real_images_match_lgn_run(workdir, fashion_test):
    x, y = fashion_test
    lgn = generate(workdir / "fm.lgn", 784, "2x1000", 10, seed=4,
                   extra=["--pass-through", "0.45"])
    so = lgc.compile(lgn, workdir / "fm.so")
    n = 2000
    with lgc.load(so) as net:
        classes, counts = net.run(x[:n])
    csv = workdir / "pred.csv"
    subprocess.run([tool("lgn-run"), str(lgn), "--data", "fashion-mnist", "--limit", str(n),
                    "--predictions", str(csv)], check=True, capture_output=True)
    table = np.loadtxt(csv, delimiter=",", skiprows=1, dtype=np.int64)
    np.testing.assert_array_equal(table[:, 0], np.arange(n))
    np.testing.assert_array_equal(table[:, 1], y[:n])
    np.testing.assert_array_equal(table[:, 2], classes)
    np.testing.assert_array_equal(table[:, 3:], counts)


def test_errors(workdir, nets):
    _, fast = nets
    with pytest.raises(FileNotFoundError):
        lgc.load(workdir / "absent.so")
    fake = workdir / "fake.so"
    fake.write_text("not a library\n")
    with pytest.raises(lgc.LgcError, match="cannot load net library"):
        lgc.load(fake)
    bad = workdir / "bad.lgn"
    bad.write_text("lgn 1\ninputs 4\ngates 1\ng xor 9001 1\n")
    with pytest.raises(lgc.LgcError, match=r"bad.lgn:4:7: error: gate operand 9001"):
        lgc.load(bad)
    with pytest.raises(ValueError, match="the net reads 40"):
        fast.predict(np.zeros((3, 41), dtype=np.uint8))
    with pytest.raises(TypeError, match="uint8"):
        fast.predict(np.zeros((3, 40), dtype=np.int32))
    with pytest.raises(ValueError, match="threads"):
        fast.predict(np.zeros((3, 40), dtype=np.uint8), threads=-1)
    with pytest.raises(ValueError, match="opt"):
        lgc.compile(bad, workdir / "x.so", opt=7)
    with pytest.raises(lgc.LgcError, match="gate operand 9001"):
        lgc.compile(bad, workdir / "x.so")
    assert not (workdir / "x.so").exists()
    closed = lgc.load(workdir / "thermo.lgn")
    closed.close()
    with pytest.raises(lgc.LgcError, match="closed"):
        closed.predict(np.zeros((1, 40), dtype=np.uint8))


def test_lgn_run_json(workdir, thermometer_net):
    lgn, _ = thermometer_net
    import json
    csv = workdir / "rows.csv"
    rng = np.random.default_rng(1)
    rows = np.column_stack([rng.random((50, 40)), rng.integers(0, 5, 50)])
    np.savetxt(csv, rows, delimiter=",", fmt="%.3f")
    out = workdir / "summary.json"
    subprocess.run([tool("lgn-run"), str(lgn), "--data", f"csv:{csv}", "--split", "all",
                    "--json", str(out)],
                   check=True, capture_output=True)
    summary = json.loads(out.read_text())
    assert summary["samples"] == 50 and summary["classes"] == 5
    assert summary["backend"] == "reference interpreter"
    assert 0 <= summary["accuracy"] <= 1
