"""The difflogic importer against PyTorch's own eval-mode forward.

The modules below have difflogic's structure and attributes (LogicLayer:
`weights` [out_dim, 16], `indices` (a, b), `in_dim`, `out_dim`; GroupSum: `k`,
`tau`) and its eval-mode semantics (each gate is its argmax kind), written
from the format's gate table so the test does not depend on difflogic being
installed.
"""
import subprocess
import sys

import numpy as np
import pytest

import lgc
import lgc.difflogic

torch = pytest.importorskip("torch")

# c0 + c1 a + c2 b + c3 ab for the 16 kinds, in difflogic's order.
RELAXATION = torch.tensor([
    [0, 0, 0, 0], [0, 0, 0, 1], [0, 1, 0, -1], [0, 1, 0, 0],
    [0, 0, 1, -1], [0, 0, 1, 0], [0, 1, 1, -2], [0, 1, 1, -1],
    [1, -1, -1, 1], [1, -1, -1, 2], [1, 0, -1, 0], [1, 0, -1, 1],
    [1, -1, 0, 0], [1, -1, 0, 1], [1, 0, 0, -1], [1, 0, 0, 0]], dtype=torch.float32)


class LogicLayer(torch.nn.Module):
    def __init__(self, in_dim, out_dim, connections, generator):
        super().__init__()
        self.in_dim, self.out_dim = in_dim, out_dim
        self.weights = torch.nn.Parameter(torch.randn(out_dim, 16, generator=generator))
        if connections == "random":
            c = torch.randperm(2 * out_dim, generator=generator) % in_dim
            c = torch.randperm(in_dim, generator=generator)[c]
            self.indices = (c[:out_dim], c[out_dim:])
        else:  # 'unique': pairs at growing offsets, then shuffled
            pairs = [(i, i + d) for d in range(1, in_dim) for i in range(0, in_dim - d, d + 1)]
            pairs = pairs[:out_dim]
            assert len(pairs) == out_dim
            p = torch.tensor(pairs)[torch.randperm(out_dim, generator=generator)]
            self.indices = (p[:, 0], p[:, 1])

    def forward(self, x):
        a, b = x[..., self.indices[0]], x[..., self.indices[1]]
        if self.training:
            w = torch.softmax(self.weights, dim=-1)
        else:
            w = torch.nn.functional.one_hot(self.weights.argmax(-1), 16).float()
        c = w @ RELAXATION
        return c[:, 0] + c[:, 1] * a + c[:, 2] * b + c[:, 3] * a * b


class GroupSum(torch.nn.Module):
    def __init__(self, k, tau):
        super().__init__()
        self.k, self.tau = k, tau

    def forward(self, x):
        return x.reshape(*x.shape[:-1], self.k, x.shape[-1] // self.k).sum(-1) / self.tau


def make_model(in_dim, widths, k, tau, connections, seed):
    g = torch.Generator().manual_seed(seed)
    layers, prev = [torch.nn.Flatten()], in_dim
    for w in widths:
        layers.append(LogicLayer(prev, w, connections, g))
        prev = w
    layers.append(GroupSum(k, tau))
    return torch.nn.Sequential(*layers).eval()


def binarize(x_u8, thresholds):
    x = torch.from_numpy(x_u8.astype(np.float32)) / 255
    return torch.cat([(x > t).float() for t in thresholds], dim=1)


@pytest.mark.parametrize("connections,thresholds", [
    ("random", [0.5]), ("unique", [0.25, 0.5, 0.75]), ("random", [0.2, 0.6])])
def test_same_classes_and_counts_as_pytorch(workdir, fashion_test, connections, thresholds):
    x, _ = fashion_test
    n = len(x)  # every test image
    tau = 10.0
    model = make_model(784 * len(thresholds), [2000, 1000], 10, tau, connections,
                       seed=len(thresholds))
    with torch.no_grad():
        scores = model(binarize(x[:n], thresholds))
    want_counts = torch.round(scores * tau).to(torch.int64).numpy()
    want_classes = torch.argmax(scores, dim=1).numpy()

    net = lgc.from_difflogic(model, thresholds=thresholds)
    assert net.features == 784 and net.encoding() == "thermometer"
    assert net.layer_starts == [0, 2000]
    path = workdir / f"dl_{connections}_{len(thresholds)}.lgn"
    lgc.write_lgn(path, net)
    so = lgc.compile(path, workdir / (path.stem + ".so"))
    for target in (path, so):
        with lgc.load(target) as compiled:
            classes, counts = compiled.run(x[:n])
        np.testing.assert_array_equal(counts, want_counts)
        # torch.argmax and lgc both take the first of equal maxima.
        np.testing.assert_array_equal(classes, want_classes)


def test_state_dict_with_indices_and_back(workdir):
    model = make_model(64, [80, 60], 3, 2.0, "random", seed=9)
    state = model.state_dict()
    indices = [m.indices for m in model if isinstance(m, LogicLayer)]
    from_state = lgc.from_difflogic(state, indices=indices, classes=3, tau=2.0, features=64)
    from_module = lgc.from_difflogic(model)
    for field in ("kinds", "a", "b", "outputs"):
        np.testing.assert_array_equal(getattr(from_state, field), getattr(from_module, field))
    # Back to difflogic: fresh layers with the exported state and indices give
    # the same forward.
    exported = lgc.to_difflogic_state(from_module)
    g = torch.Generator().manual_seed(0)
    layers = [torch.nn.Flatten()]
    for i, (din, dout) in enumerate(zip(exported["in_dim"], exported["out_dim"])):
        layer = LogicLayer(din, dout, "random", g)
        layer.weights.data.copy_(exported["state_dict"][f"{i}.weights"])
        layer.indices = exported["indices"][i]
        layers.append(layer)
    layers.append(GroupSum(exported["k"], exported["tau"]))
    rebuilt = torch.nn.Sequential(*layers).eval()
    bits = (torch.rand(500, 64, generator=g) > 0.5).float()
    with torch.no_grad():
        torch.testing.assert_close(rebuilt(bits), model(bits))


def test_errors(workdir):
    model = make_model(64, [80, 60], 3, 2.0, "random", seed=2)
    with pytest.raises(lgc.LgcError, match="state_dict holds no connections"):
        lgc.from_difflogic(model.state_dict(), classes=3)
    with pytest.raises(lgc.LgcError, match="do not chain"):
        broken = make_model(64, [80, 60], 3, 2.0, "random", seed=2)
        broken[2].in_dim = 70
        lgc.from_difflogic(broken)
    with pytest.raises(lgc.LgcError, match="3 thresholds over"):
        lgc.from_difflogic(model, thresholds=[0.2, 0.5, 0.8], features=20)
    with pytest.raises(lgc.LgcError, match="not a multiple"):
        lgc.from_difflogic(model, thresholds=[0.2, 0.5, 0.8])
    with pytest.raises(lgc.LgcError, match="no GroupSum"):
        lgc.from_difflogic(torch.nn.Sequential(*list(model)[:-1]))


def test_command_line(workdir):
    model = make_model(64, [80, 60], 3, 2.0, "unique", seed=5)
    state, idx = workdir / "state.pt", workdir / "idx.pt"
    torch.save(model.state_dict(), state)
    torch.save([m.indices for m in model if isinstance(m, LogicLayer)], idx)
    out = workdir / "cli.lgn"
    cmd = [sys.executable, "-m", "lgc.importer", "difflogic", str(state), "--indices", str(idx),
           "--classes", "3", "--features", "64", "-o", str(out)]
    subprocess.run(cmd, check=True)
    np.testing.assert_array_equal(lgc.read_lgn(out).kinds, lgc.from_difflogic(model).kinds)
    missing = subprocess.run(cmd[:5] + ["--classes", "3", "-o", str(workdir / "no.lgn")],
                             capture_output=True, text=True)
    assert missing.returncode == 1
    assert "lgn-import: error:" in missing.stderr and "indices" in missing.stderr
    assert not (workdir / "no.lgn").exists()
    back = workdir / "back.pt"
    subprocess.run([sys.executable, "-m", "lgc.importer", "to-difflogic", str(out), "-o",
                    str(back)], check=True)
    assert torch.load(back)["k"] == 3


def test_checkpoint_to_difflogic(workdir):
    """An lgn-train run's checkpoint exports its trained weights; difflogic's
    eval-mode forward of them gives the lgc net's counts."""
    from conftest import tool
    csv = workdir / "train.csv"
    rng = np.random.default_rng(0)
    x = rng.random((400, 12))
    y = (x[:, 0] + x[:, 1] > 1).astype(int)
    np.savetxt(csv, np.column_stack([x, y]), delimiter=",", fmt="%.4f")
    ck, out = workdir / "ck.bin", workdir / "trained.lgn"
    subprocess.run([tool("lgn-train"), "--data", f"csv:{csv}", "--layers", "2x40",
                    "--thresholds", "0.3,0.7", "--iterations", "30", "--quiet",
                    "--checkpoint", str(ck), "-o", str(out)], check=True, capture_output=True)
    state = lgc.to_difflogic_state(out, checkpoint=ck)
    weights = lgc.difflogic.read_checkpoint_weights(ck)
    assert weights.shape == (80, 16)
    # Trained weights, not one-hot ones: the run moved them off their init.
    w0 = state["state_dict"]["0.weights"]
    assert w0.shape == (40, 16) and float(w0.std()) > 0.1
    assert state["thresholds"] == pytest.approx([0.3, 0.7])
    layers = [torch.nn.Flatten()]
    for i, (din, dout) in enumerate(zip(state["in_dim"], state["out_dim"])):
        layer = LogicLayer(din, dout, "random", torch.Generator().manual_seed(1))
        layer.weights.data.copy_(state["state_dict"][f"{i}.weights"])
        layer.indices = state["indices"][i]
        layers.append(layer)
    layers.append(GroupSum(state["k"], state["tau"]))
    model = torch.nn.Sequential(*layers).eval()
    px = rng.integers(0, 256, (300, 12), dtype=np.uint8)
    with torch.no_grad():
        scores = model(binarize(px, state["thresholds"]))
    with lgc.load(out) as net:
        counts = net.counts(px)
    np.testing.assert_array_equal(torch.round(scores * state["tau"]).numpy(), counts)
    bad = workdir / "bad.ck"
    # Flip the last byte's bits: overwriting it with a fixed value leaves the
    # file intact whenever the byte already had that value.
    data = bytearray(ck.read_bytes())
    data[-1] ^= 0xFF
    bad.write_bytes(bytes(data))
    with pytest.raises(lgc.LgcError, match="checksum"):
        lgc.to_difflogic_state(out, checkpoint=bad)
