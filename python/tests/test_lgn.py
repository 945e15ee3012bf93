"""read_lgn / write_lgn: lgc's own reader and writer from Python."""
import math
import subprocess
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import lgc
from conftest import generate, tool


def test_round_trip_is_byte_exact(workdir):
    src = generate(workdir / "rt.lgn", 30, "3x40", 4, seed=7, extra=["--connections", "unique"])
    canonical = workdir / "rt.canonical.lgn"
    subprocess.run([tool("lgc"), "-O0", str(src), "--emit=lgn", "-o", str(canonical)], check=True)
    net = lgc.read_lgn(src)
    assert net.inputs == 30 and net.num_gates == 120 and net.classes == 4
    assert net.encoding() == "identity"
    assert net.layer_starts == [0, 40, 80]
    assert net.kinds.dtype == np.uint8 and net.a.dtype == np.uint32
    out = workdir / "rt.out.lgn"
    lgc.write_lgn(out, net)
    assert out.read_bytes() == canonical.read_bytes()


def test_encodings_and_metadata(workdir):
    net = lgc.LgnNet(inputs=4, kinds=[6, 1], a=[0, 4], b=[3, 2], outputs=[5, 4],
                     classes=2, tau=2.5, levels=[0.25, 0.75],
                     metadata=[("dataset", "hand-made"), ("note", "two words")])
    path = workdir / "enc.lgn"
    lgc.write_lgn(path, net)
    text = path.read_text()
    assert "features 2\nthresholds 0.25 0.75\n" in text
    back = lgc.read_lgn(path)
    assert back.encoding() == "thermometer" and back.features == 2
    np.testing.assert_array_equal(back.levels, [0.25, 0.75])
    assert back.metadata == net.metadata and back.tau == 2.5
    # An explicit encoding stays explicit.
    net.levels, net.features = None, 3
    net.bit_features, net.bit_thresholds = [2, 0, 1, 2], [0.1, 0.2, 0.3, 0.4]
    lgc.write_lgn(path, net)
    back = lgc.read_lgn(path)
    assert back.encoding() == "explicit"
    np.testing.assert_array_equal(back.bit_features, [2, 0, 1, 2])
    np.testing.assert_allclose(back.bit_thresholds, [0.1, 0.2, 0.3, 0.4])


def test_errors(workdir):
    with pytest.raises(FileNotFoundError):
        lgc.read_lgn(workdir / "absent.lgn")
    bad = workdir / "trunc.lgn"
    bad.write_text("lgn 1\ninputs 2\ngates 2\ng and 0 1\n")
    with pytest.raises(lgc.LgcError, match=r"trunc.lgn:5:1: error: unexpected end of file"):
        lgc.read_lgn(bad)
    target = workdir / "never.lgn"
    later = lgc.LgnNet(inputs=2, kinds=[1], a=[0], b=[2], outputs=[2], classes=1)
    with pytest.raises(lgc.LgcError, match="refusing to write an invalid net"):
        lgc.write_lgn(target, later)
    assert not target.exists()
    with pytest.raises(ValueError, match="0..15"):
        lgc.write_lgn(target, lgc.LgnNet(inputs=2, kinds=[16], a=[0], b=[1], outputs=[2],
                                         classes=1))
    with pytest.raises(ValueError, match="differ in length"):
        lgc.write_lgn(target, lgc.LgnNet(inputs=2, kinds=[1, 2], a=[0], b=[1], outputs=[2],
                                         classes=1))
    with pytest.raises(lgc.LgcError, match="not divisible"):
        lgc.write_lgn(target, lgc.LgnNet(inputs=2, kinds=[1], a=[0], b=[1], outputs=[2],
                                         classes=2))


def test_ensemble(workdir):
    a = generate(workdir / "ens_a.lgn", 12, "30,20", 4, seed=1)
    b = generate(workdir / "ens_b.lgn", 12, "16", 4, seed=2)
    out = workdir / "ens_ab.lgn"
    lgc.ensemble([a, b], out)
    na, nb, nab = lgc.read_lgn(a), lgc.read_lgn(b), lgc.read_lgn(out)
    assert nab.num_gates == na.num_gates + nb.num_gates
    assert nab.tau == na.tau + nb.tau
    # The counts of the ensemble are the members' sums on every input.
    x = np.random.default_rng(3).integers(0, 2, size=(500, 12)).astype(np.float32)
    with lgc.load(a) as ma, lgc.load(b) as mb, lgc.load(out) as mab:
        total = ma.counts(x) + mb.counts(x)
        assert (mab.counts(x) == total).all()
        assert (mab.predict(x) == total.argmax(axis=1)).all()
    c = generate(workdir / "ens_c.lgn", 12, "30", 5, seed=3)
    never = workdir / "ens_never.lgn"
    with pytest.raises(lgc.LgcError, match=r"ens_c.lgn: error: its classes \(5 against 4\)"):
        lgc.ensemble([a, c], never)
    assert not never.exists()
    with pytest.raises(FileNotFoundError):
        lgc.ensemble([a, workdir / "absent.lgn"], never)
    with pytest.raises(ValueError):
        lgc.ensemble([], never)
    with pytest.raises(TypeError):
        lgc.ensemble(str(a), never)


def test_mirror(workdir):
    # 12 features as a 3x4 image: the mirror sees each row reversed.
    a = generate(workdir / "mir_a.lgn", 12, "40,20", 4, seed=4)
    m = workdir / "mir_m.lgn"
    lgc.mirror(a, m, image=(3, 4))
    x = np.random.default_rng(5).integers(0, 2, size=(500, 12)).astype(np.float32)
    flipped = x.reshape(500, 3, 4)[:, :, ::-1].reshape(500, 12)
    both = workdir / "mir_both.lgn"
    lgc.ensemble([a], both, mirror_images=True, image=(3, 4))
    with lgc.load(a) as na, lgc.load(m) as nm, lgc.load(both) as nb:
        assert (nm.counts(x) == na.counts(flipped)).all()
        assert (nm.counts(x) != na.counts(x)).any()
        assert (nb.counts(x) == na.counts(x) + na.counts(flipped)).all()
    never = workdir / "mir_never.lgn"
    with pytest.raises(lgc.LgcError, match=r"mir_a.lgn: error: cannot mirror: .*no square image"):
        lgc.mirror(a, never)
    with pytest.raises(lgc.LgcError, match=r"no whole number of 5x5 planes"):
        lgc.mirror(a, never, image=(5, 5))
    with pytest.raises(ValueError):
        lgc.mirror(a, never, image=(3, 0))
    with pytest.raises(FileNotFoundError):
        lgc.mirror(workdir / "absent.lgn", never)
    assert not never.exists()


def test_cascade_file(workdir):
    # A .cascade file opens like any net: the second net runs on the samples
    # whose first-net scores leave the top two classes less than the margin
    # apart and adds its counts to theirs.
    a = generate(workdir / "cas_a.lgn", 12, "40,20", 4, seed=6)
    b = generate(workdir / "cas_b.lgn", 12, "40,20", 4, seed=7)
    path = workdir / "ab.cascade"
    path.write_text(f"lgc-cascade 1\nnet {a.name}\nmargin 2\nnet {b.name}\n")
    x = np.random.default_rng(8).integers(0, 2, size=(600, 12)).astype(np.float32)
    with lgc.load(a) as na, lgc.load(b) as nb, lgc.load(path) as nc:
        assert nc.info.tau == na.info.tau + nb.info.tau
        assert nc.info.backend.startswith("cascade of 2")
        ca, cb = na.counts(x), nb.counts(x)
        top2 = np.sort(ca, axis=1)[:, -2:]
        undecided = (top2[:, 1] - top2[:, 0]) / na.info.tau < 2
        assert 0 < undecided.sum() < len(x)
        want = ca + cb * undecided[:, None]
        assert (nc.counts(x) == want).all()
        assert (nc.predict(x) == want.argmax(axis=1)).all()
        assert nc.cascade_samples == [len(x), int(undecided.sum())]
    path.write_text(f"lgc-cascade 1\nnet {a.name}\nmargin -1\nnet {b.name}\n")
    with pytest.raises(lgc.LgcError, match=r"ab.cascade:3:8: error: invalid margin '-1'"):
        lgc.load(path)


def test_cascade_constructor(workdir):
    # lgc.cascade joins nets without a file: three nets, two margins, against
    # the rule in numpy; the samples each net ran on; runs from several
    # threads at once agree with a lone run.
    nets = [generate(workdir / f"cc_{k}.lgn", 12, "40,20", 4, seed=20 + k) for k in range(3)]
    x = np.random.default_rng(9).integers(0, 2, size=(700, 12)).astype(np.float32)
    with lgc.cascade(nets, [2, 1]) as nc:
        assert nc.info.backend.startswith("cascade of 3")
        singles = [lgc.load(p) for p in nets]
        got = nc.counts(x)
        total = singles[0].counts(x).astype(np.int64)
        tau = singles[0].info.tau
        ran = [len(x)]
        for k, margin in zip((1, 2), (2, 1)):
            top2 = np.sort(total, axis=1)[:, -2:]
            undecided = (top2[:, 1] - top2[:, 0]) / tau < margin
            if k == 1:
                # The second margin must see the first net's survivors only.
                open_ = undecided
            else:
                open_ = open_ & undecided
            ran.append(int(open_.sum()))
            total = total + singles[k].counts(x) * open_[:, None]
            tau += singles[k].info.tau
        assert 0 < ran[2] < ran[1] < len(x)
        assert (got == total).all()
        assert nc.cascade_samples == ran
        assert singles[0].cascade_samples is None
        with ThreadPoolExecutor(4) as pool:
            for counts in pool.map(lambda _: nc.counts(x), range(16)):
                assert (counts == got).all()
        # One margin for every net; infinity runs every net everywhere.
        with lgc.cascade(nets, math.inf) as every:
            want = sum(s.counts(x).astype(np.int64) for s in singles)
            assert (every.counts(x) == want).all()
            assert every.cascade_samples == [len(x)] * 3

    cas = workdir / "two.cascade"
    cas.write_text(f"lgc-cascade 1\nnet {nets[0].name}\nmargin 1\nnet {nets[1].name}\n")
    with pytest.raises(lgc.LgcError, match=r"net 2: error: a cascade.s nets cannot be cascades"):
        lgc.cascade([nets[0], cas], [1])
    with pytest.raises(ValueError, match="two or more nets"):
        lgc.cascade(nets[:1], [])
    with pytest.raises(ValueError, match="takes 2 margins"):
        lgc.cascade(nets, [1])
    for bad in (-1, math.nan, True, "1"):
        with pytest.raises(ValueError, match="margins must be numbers"):
            lgc.cascade(nets, [1, bad])
    with pytest.raises(TypeError):
        lgc.cascade(str(nets[0]), [1])
    with pytest.raises(FileNotFoundError):
        lgc.cascade([nets[0], workdir / "absent.lgn"], [1])
    with pytest.raises(ValueError, match="threads"):
        lgc.cascade(nets[:2], [1], threads=-1)
    # The C entry points' own checks, below the Python ones.
    lib, err = lgc._native.lib(), lgc._native.error_buffer()
    assert not lgc._native.open_cascade(lib, [str(nets[0])], [], err)
    assert "a cascade needs at least two nets" in lgc._native.message(err)
    assert not lib.lgc_rt_open_cascade(None, 2, None, err, len(err))
    assert "null argument" in lgc._native.message(err)
    assert not lgc._native.open_cascade(lib, [str(p) for p in nets], [1, -2], err)
    assert "margins must be >= 0" in lgc._native.message(err)
    assert lib.lgc_rt_cascade_samples(None, None, 0) == 0
