"""difflogic <-> lgc.

A difflogic model is a torch.nn.Sequential of LogicLayer modules (each with
`weights` [out_dim, 16], `indices` = (a, b) index tensors into the previous
layer's outputs, `in_dim`, `out_dim`) followed by GroupSum (`k` classes,
`tau`), often after a Flatten. After training, gate i of a layer is the kind
`weights[i].argmax()`: difflogic's order of the 16 functions is lgc's kind
numbering, so the index is the kind unchanged.

Node numbering (docs/lgn-format.md): the input bits are nodes 0 .. I-1; the
gates of layer 0 are nodes I .. I+out_0-1, of layer 1 the next out_1, and so
on; gate i of layer L reads nodes base(L-1) + a[i] and base(L-1) + b[i],
where base(-1) = 0 (the inputs). The last layer's nodes, in order, are the
outputs, counted in `k` consecutive groups.

difflogic keeps the connections in `LogicLayer.indices`, a plain attribute
that is not part of `state_dict()`: import a whole module saved with
`torch.save(model)`, or a state_dict together with the indices saved
separately (`[layer.indices for layer in logic_layers]`).
"""
from collections.abc import Mapping

import numpy as np

from .errors import LgcError
from .lgn import LgnNet, read_lgn


def _torch():
    try:
        import torch
    except ImportError:
        raise LgcError("the difflogic importer needs PyTorch (Debian: python3-torch)") from None
    return torch


def _to_numpy(t):
    if hasattr(t, "detach"):
        t = t.detach().cpu().numpy()
    return np.asarray(t)


def _layers_from_module(model):
    """[(weights, a, b, in_dim, out_dim)], (k, tau) from a module tree."""
    layers, group = [], None
    for name, m in model.named_modules():
        if m is model and not hasattr(m, "weights"):
            continue
        if hasattr(m, "weights") and hasattr(m, "out_dim"):
            if not hasattr(m, "indices") or m.indices is None:
                raise LgcError(f"layer {name!r} has no connections (indices)")
            a, b = m.indices
            layers.append((_to_numpy(m.weights), _to_numpy(a), _to_numpy(b),
                           int(m.in_dim), int(m.out_dim), name))
        elif hasattr(m, "k") and hasattr(m, "tau") and not hasattr(m, "weights"):
            group = (int(m.k), float(m.tau))
    if not layers:
        raise LgcError("the model has no logic layers (modules with weights, "
                       "indices, in_dim and out_dim)")
    return layers, group


def _layers_from_state(state, indices, first_in_dim):
    keys = sorted((k for k in state if k.endswith("weights")),
                  key=lambda k: [int(p) if p.isdigit() else p for p in k.split(".")])
    if not keys:
        raise LgcError("the state_dict has no '<layer>.weights' entries")
    if indices is None:
        raise LgcError(
            "a difflogic state_dict holds no connections (LogicLayer.indices is "
            "not saved in state_dict()): save the whole module with "
            "torch.save(model), or pass the indices of every layer "
            "(indices=[layer.indices for each LogicLayer])")
    if len(indices) != len(keys):
        raise LgcError(f"{len(indices)} index pairs for {len(keys)} logic layers")
    layers = []
    prev = None
    for key, pair in zip(keys, indices):
        w = _to_numpy(state[key])
        a, b = (_to_numpy(p) for p in pair)
        if prev is not None:
            in_dim = prev
        elif first_in_dim is not None:
            in_dim = first_in_dim
        else:  # the widest index read; give features= when inputs go unused
            in_dim = int(max(a.max(initial=0), b.max(initial=0))) + 1
        layers.append((w, a, b, in_dim, w.shape[0], key.rsplit(".", 1)[0]))
        prev = w.shape[0]
    return layers


def from_difflogic(model, thresholds=None, features=None, indices=None,
                   classes=None, tau=None, metadata=()):
    """An LgnNet from a difflogic model (module) or state_dict (+ indices).

    thresholds: the input encoding, as difflogic's data pipeline binarised:
        None for bits given directly (bit i = feature i > 0.5), or levels
        t_0 < t_1 < ... stacked threshold-major (bit j*F + f = x[f] > t_j).
    features: the raw features F (default: the first layer's in_dim / the
        number of thresholds).
    classes, tau: GroupSum's k and tau where the model has no GroupSum.
    """
    if isinstance(model, Mapping):
        first = None
        if features is not None:
            first = features * (len(list(thresholds)) if thresholds is not None else 1)
        layers, group = _layers_from_state(model, indices, first), None
    else:
        layers, group = _layers_from_module(model)
    if group is None:
        if classes is None:
            raise LgcError("the model has no GroupSum: give classes= (and tau=)")
        group = (int(classes), 1.0 if tau is None else float(tau))
    elif classes is not None and int(classes) != group[0]:
        raise LgcError(f"classes={classes} but the model's GroupSum has k={group[0]}")
    k, tau_value = group[0], (float(tau) if tau is not None else group[1])

    inputs = layers[0][3]
    kinds, a_all, b_all, layer_starts = [], [], [], []
    prev_base, prev_width, base = 0, inputs, inputs
    for index, (w, a, b, in_dim, out_dim, name) in enumerate(layers):
        if w.ndim != 2 or w.shape[1] != 16 or w.shape[0] != out_dim:
            raise LgcError(f"layer {name!r}: weights of shape {w.shape}, expected ({out_dim}, 16)")
        if in_dim != prev_width:
            raise LgcError(f"layer {name!r} reads {in_dim} values but the layer before "
                           f"gives {prev_width}: the layers do not chain")
        if a.shape != (out_dim,) or b.shape != (out_dim,):
            raise LgcError(f"layer {name!r}: indices of shapes {a.shape}, {b.shape}, "
                           f"expected ({out_dim},)")
        if len(a) and (min(a.min(), b.min()) < 0 or max(a.max(), b.max()) >= in_dim):
            raise LgcError(f"layer {name!r}: an index is outside 0..{in_dim - 1}")
        layer_starts.append(base - inputs)
        kinds.append(np.argmax(w, axis=1).astype(np.uint8))
        a_all.append(a.astype(np.int64) + prev_base)
        b_all.append(b.astype(np.int64) + prev_base)
        prev_base, prev_width, base = base, out_dim, base + out_dim
    if prev_width % k:
        raise LgcError(f"the last layer's {prev_width} outputs do not divide into {k} classes")

    levels = None
    if thresholds is not None:
        levels = np.asarray(list(thresholds), dtype=np.float32)
        if levels.ndim != 1 or len(levels) == 0:
            raise LgcError("thresholds must be a non-empty list of numbers")
        if features is None:
            if inputs % len(levels):
                raise LgcError(f"the first layer reads {inputs} bits, not a multiple "
                               f"of the {len(levels)} thresholds")
            features = inputs // len(levels)
        if features * len(levels) != inputs:
            raise LgcError(f"{len(levels)} thresholds over {features} features give "
                           f"{features * len(levels)} bits, but the first layer reads {inputs}")
    elif features is not None and features != inputs:
        raise LgcError(f"features={features} without thresholds, but the first layer "
                       f"reads {inputs} bits (bit i = feature i > 0.5)")
    outputs = np.arange(prev_base, prev_base + prev_width, dtype=np.uint32)
    return LgnNet(
        inputs=inputs,
        features=features if features is not None else inputs,
        kinds=np.concatenate(kinds),
        a=np.concatenate(a_all).astype(np.uint32),
        b=np.concatenate(b_all).astype(np.uint32),
        outputs=outputs,
        classes=k,
        tau=tau_value,
        levels=levels,
        layer_starts=layer_starts,
        metadata=[("generator", "lgc.from_difflogic")] + list(metadata),
    )


def read_checkpoint_weights(path):
    """The 16 weights per gate of an lgn-train checkpoint, [gates, 16]
    float32, in the model's gate order (the order of the .lgn it writes).

    The checkpoint (trainer/lib/Checkpoint.cpp) is: "LGNCKPT1", the model's
    description (u64 length + bytes), iteration (u64), Adam step (u64),
    batch (u32), random state (4 x u64), epoch position (u64), the epoch
    order (u64 count + u32s), the weights (u64 count + f32s), ..., and an
    FNV-1a checksum of everything before it.
    """
    with open(path, "rb") as f:
        buf = f.read()
    if len(buf) < 16 or buf[:8] != b"LGNCKPT1":
        raise LgcError(f"{path}: error: not an lgn-train checkpoint")
    h = 0xcbf29ce484222325
    for byte in buf[:-8]:
        h = ((h ^ byte) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    if h != int.from_bytes(buf[-8:], "little"):
        raise LgcError(f"{path}: error: checkpoint is corrupt (checksum mismatch)")
    pos = 8

    def u64():
        nonlocal pos
        if pos + 8 > len(buf):
            raise LgcError(f"{path}: error: checkpoint is truncated")
        v = int.from_bytes(buf[pos:pos + 8], "little")
        pos += 8
        return v

    skip = u64()                   # description
    pos += skip
    u64(), u64()                   # iteration, Adam step
    pos += 4                       # batch
    for _ in range(4):             # random state
        u64()
    u64()                          # epoch position
    skip = 4 * u64()               # epoch order
    pos += skip
    count = u64()
    if count % 16 or pos + 4 * count > len(buf):
        raise LgcError(f"{path}: error: checkpoint is truncated")
    return np.frombuffer(buf, dtype="<f4", count=count, offset=pos).reshape(-1, 16).copy()


def to_difflogic_state(net, logit=10.0, checkpoint=None):
    """The other direction: a layered lgc net (from lgn-train, or any .lgn
    whose layers read only the layer before) as difflogic state.

    Returns a dict with `state_dict` ({"<i>.weights": [out, 16] tensors:
    with `checkpoint` (the lgn-train checkpoint of the run that wrote the
    net), the trained weights themselves, so training can go on in
    difflogic; otherwise the chosen kind at `logit` and the others at 0, so
    eval-mode argmax gives the kind}), `indices` ([(a, b)] per layer,
    relative to the previous layer),
    `in_dim`/`out_dim` per layer, `k`, `tau` and `thresholds`. Build
    LogicLayer(in_dim, out_dim) modules, load the state, set each layer's
    indices, and difflogic's eval-mode forward gives lgc's counts.
    """
    torch = _torch()
    if not isinstance(net, LgnNet):
        net = read_lgn(net)
    starts = list(net.layer_starts) or [0]
    if starts[0] != 0:
        raise LgcError("the net's first layer does not start at gate 0")
    bounds = starts + [net.num_gates]
    trained = None
    if checkpoint is not None:
        trained = read_checkpoint_weights(checkpoint)
        if trained.shape[0] != net.num_gates:
            raise LgcError(f"the checkpoint holds {trained.shape[0]} gates, the net "
                           f"{net.num_gates}: not the net this run wrote")
        if not np.array_equal(np.argmax(trained, axis=1), net.kinds):
            raise LgcError("the checkpoint's weights do not give the net's gate kinds: "
                           "not the net this run wrote")
    state, indices, dims = {}, [], []
    prev_base, prev_width = 0, net.inputs
    for i in range(len(starts)):
        lo, hi = bounds[i], bounds[i + 1]
        a = net.a[lo:hi].astype(np.int64) - prev_base
        b = net.b[lo:hi].astype(np.int64) - prev_base
        if len(a) and (min(a.min(), b.min()) < 0 or max(a.max(), b.max()) >= prev_width):
            raise LgcError(f"layer {i} reads nodes outside the layer before it: "
                           "difflogic layers read only their predecessor")
        if trained is not None:
            w = torch.from_numpy(trained[lo:hi].copy())
        else:
            w = torch.zeros(hi - lo, 16)
            w[torch.arange(hi - lo), torch.as_tensor(net.kinds[lo:hi].astype(np.int64))] = logit
        state[f"{i}.weights"] = w
        indices.append((torch.as_tensor(a), torch.as_tensor(b)))
        dims.append((prev_width, hi - lo))
        prev_base, prev_width = net.inputs + lo, hi - lo
    last = net.inputs + bounds[-2]
    if not np.array_equal(net.outputs, np.arange(last, last + prev_width)):
        raise LgcError("the outputs are not the last layer in order, as GroupSum reads them")
    return {
        "state_dict": state,
        "indices": indices,
        "in_dim": [d[0] for d in dims],
        "out_dim": [d[1] for d in dims],
        "k": net.classes,
        "tau": net.tau,
        "thresholds": None if net.levels is None else [float(t) for t in net.levels],
    }
