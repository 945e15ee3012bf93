"""The .lgn format as numpy arrays, read and written by lgc's own reader and
writer (through liblgcrt), so errors carry file:line:col exactly as the
tools report them."""
import ctypes
import os
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

import numpy as np

from . import _native
from .errors import LgcError

#: Gate kinds in difflogic's order: the kind is the truth table with f(0,0)
#: as the most significant bit.
KIND_NAMES = (
    "zero", "and", "not_implies", "a", "not_implied_by", "b", "xor", "or",
    "not_or", "not_xor", "not_b", "implied_by", "not_a", "implies", "not_and",
    "one",
)


@dataclass
class LgnNet:
    """A logic gate network.

    Node ids 0 .. inputs-1 are the input bits, inputs + g is gate g; gate g
    computes ``KIND_NAMES[kinds[g]](node a[g], node b[g])``. The outputs are
    counted per class in ``classes`` consecutive groups (GroupSum), a class's
    score being its count / tau. The encoding maps ``features`` raw features
    in [0, 1] to input bits: ``levels`` (thermometer, bit j*features + f is
    feature f > levels[j]), or ``bit_features``/``bit_thresholds`` (one per
    bit), or neither (bit i is feature i > 0.5).
    """

    inputs: int
    kinds: np.ndarray
    a: np.ndarray
    b: np.ndarray
    outputs: np.ndarray
    classes: int
    tau: float = 1.0
    features: Optional[int] = None
    levels: Optional[np.ndarray] = None
    bit_features: Optional[np.ndarray] = None
    bit_thresholds: Optional[np.ndarray] = None
    layer_starts: List[int] = field(default_factory=list)
    metadata: List[Tuple[str, str]] = field(default_factory=list)

    @property
    def num_gates(self):
        return len(self.kinds)

    def encoding(self):
        """'thermometer', 'explicit' or 'identity'."""
        if self.levels is not None and len(self.levels):
            return "thermometer"
        if self.bit_features is not None and len(self.bit_features):
            return "explicit"
        return "identity"


def _array(ptr, n, dtype):
    if n == 0:
        return np.zeros(0, dtype=dtype)
    return np.ctypeslib.as_array(ptr, shape=(n,)).astype(dtype, copy=True)


def read_lgn(path) -> LgnNet:
    """Reads a .lgn file. Raises FileNotFoundError for a missing file and
    LgcError (with file:line:col) for a malformed one."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(path)
    lib = _native.lib()
    err = _native.error_buffer()
    view = lib.lgc_lgn_read(path.encode(), err, len(err))
    if not view:
        raise LgcError(_native.message(err))
    try:
        v = view.contents
        meta = [
            (v.metadata[2 * i].decode(), v.metadata[2 * i + 1].decode())
            for i in range(v.num_metadata)
        ]
        return LgnNet(
            inputs=v.inputs,
            features=v.features,
            kinds=_array(v.kinds, v.num_gates, np.uint8),
            a=_array(v.a, v.num_gates, np.uint32),
            b=_array(v.b, v.num_gates, np.uint32),
            outputs=_array(v.outputs, v.num_outputs, np.uint32),
            classes=v.classes,
            tau=v.tau,
            levels=_array(v.levels, v.num_levels, np.float32) if v.num_levels else None,
            bit_features=_array(v.bit_features, v.num_bits, np.uint32) if v.num_bits else None,
            bit_thresholds=_array(v.bit_thresholds, v.num_bits, np.float32) if v.num_bits else None,
            layer_starts=[int(x) for x in _array(v.layer_starts, v.num_layers, np.uint32)],
            metadata=meta,
        )
    finally:
        lib.lgc_lgn_free(view)


def _contiguous(values, dtype, name):
    try:
        arr = np.ascontiguousarray(np.asarray(values), dtype=dtype)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{name}: {e}") from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, not of shape {arr.shape}")
    return arr


def _pointer(arr, ctype):
    return arr.ctypes.data_as(ctypes.POINTER(ctype))


def write_lgn(path, net: LgnNet):
    """Writes `net` as .lgn (atomically). Raises LgcError when the net is not
    valid (an operand that names a later node, outputs not divisible into the
    classes, ...), TypeError/ValueError for arrays of the wrong kind."""
    path = os.fspath(path)
    kinds = _contiguous(net.kinds, np.int64, "kinds")
    if len(kinds) and (kinds.min() < 0 or kinds.max() > 15):
        raise ValueError("gate kinds must be 0..15")
    kinds = kinds.astype(np.uint8)
    a = _contiguous(net.a, np.uint32, "a")
    b = _contiguous(net.b, np.uint32, "b")
    if not (len(a) == len(b) == len(kinds)):
        raise ValueError(f"kinds, a and b differ in length ({len(kinds)}, {len(a)}, {len(b)})")
    outputs = _contiguous(net.outputs, np.uint32, "outputs")
    levels = _contiguous(net.levels if net.levels is not None else [], np.float32, "levels")
    bit_features = _contiguous(
        net.bit_features if net.bit_features is not None else [], np.uint32, "bit_features")
    bit_thresholds = _contiguous(
        net.bit_thresholds if net.bit_thresholds is not None else [], np.float32, "bit_thresholds")
    if len(bit_features) != len(bit_thresholds):
        raise ValueError("bit_features and bit_thresholds differ in length")
    layers = _contiguous(list(net.layer_starts), np.uint32, "layer_starts")
    features = net.features
    if features is None:
        if len(levels):
            features = net.inputs // len(levels)
        elif len(bit_features):
            features = int(bit_features.max()) + 1
        else:
            features = net.inputs
    strings = []
    for key, value in net.metadata:
        strings += [str(key).encode(), str(value).encode()]
    meta = (ctypes.c_char_p * max(1, len(strings)))(*strings)

    view = _native.LgnNetView()
    view.inputs, view.features, view.classes = int(net.inputs), int(features), int(net.classes)
    view.num_gates, view.num_outputs = len(kinds), len(outputs)
    view.num_levels, view.num_bits = len(levels), len(bit_features)
    view.num_layers, view.num_metadata = len(layers), len(strings) // 2
    view.tau = float(net.tau)
    view.kinds = _pointer(kinds, ctypes.c_uint8)
    view.a, view.b = _pointer(a, ctypes.c_uint32), _pointer(b, ctypes.c_uint32)
    view.outputs = _pointer(outputs, ctypes.c_uint32)
    view.levels = _pointer(levels, ctypes.c_float)
    view.bit_features = _pointer(bit_features, ctypes.c_uint32)
    view.bit_thresholds = _pointer(bit_thresholds, ctypes.c_float)
    view.layer_starts = _pointer(layers, ctypes.c_uint32)
    view.metadata = meta
    err = _native.error_buffer()
    if _native.lib().lgc_lgn_write(path.encode(), ctypes.byref(view), err, len(err)) != 0:
        raise LgcError(_native.message(err))


def _image_shape(image):
    """(height, width) from a mirror's `image` argument; (0, 0) for None,
    which lets the runtime take the geometry from the net."""
    if image is None:
        return 0, 0
    if (not isinstance(image, (tuple, list)) or len(image) != 2
            or not all(isinstance(v, int) and 0 < v < 2**31 for v in image)):
        raise ValueError("image must be (height, width), two positive ints")
    return tuple(image)


def mirror(path, output, image=None):
    """Writes to `output` the .lgn net at `path` for left-right mirrored
    images: its class counts on an image are the net's on the mirror image
    (lgc/Runtime/Mirror.h). `image` is (height, width), or None to take the
    geometry from the net's first block, else a square. Raises
    FileNotFoundError for a missing file, ValueError for a bad `image`,
    LgcError for a net whose geometry has no mirror (nothing is written
    then)."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(path)
    height, width = _image_shape(image)
    err = _native.error_buffer()
    if _native.lib().lgc_lgn_mirror(path.encode(), os.fspath(output).encode(), height, width,
                                    err, len(err)) != 0:
        raise LgcError(_native.message(err))


def ensemble(paths, output, mirror_images=False, image=None):
    """Joins the .lgn nets at `paths` (trained on the same inputs and
    classes) into one net at `output` whose class counts are the sums of
    theirs, as lgn-ensemble does; with `mirror_images` each net also joins
    as its mirror (see mirror(); `image` as there), right after it, as
    lgn-ensemble --mirror does. Raises FileNotFoundError for a missing
    file, ValueError for an empty list, LgcError for nets that differ in
    their inputs or classes (nothing is written then)."""
    paths = _native.existing_paths(paths, "paths")
    if not paths:
        raise ValueError("an ensemble needs at least one net")
    height, width = _image_shape(image) if mirror_images else (0, 0)
    array = _native.c_strings(paths)
    err = _native.error_buffer()
    if _native.lib().lgc_lgn_ensemble(array, len(paths), os.fspath(output).encode(),
                                      int(bool(mirror_images)), height, width, err,
                                      len(err)) != 0:
        raise LgcError(_native.message(err))
