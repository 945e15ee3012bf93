"""lgc for Python: run, compile and import logic gate networks.

    net = lgc.load("net.so")          # a compiled net; "net.lgn" runs on the
                                      # reference interpreter
    classes = net.predict(x)          # x: (n, features) uint8 or float32;
                                      # for a GPU net also a uint8 CUDA array
                                      # (PyTorch, CuPy), read where it is
    counts = net.counts(x)            # (n, classes) uint32
    lgc.compile("net.lgn", "net.so")  # the lgc tool
    lgn = lgc.read_lgn("net.lgn")     # the format as numpy arrays
    lgn = lgc.from_difflogic(model, thresholds=[0.5])
    net = lgc.cascade(["a.so", "rest.so"], margins=[2])  # rest.so only
                                      # where a.so's top two scores are close

Everything runs in lgc's C runtime (liblgcrt) through ctypes: contiguous
numpy arrays are passed without a copy and batches of a net.so are split
across threads there.
"""
import ctypes
import os
import subprocess
from dataclasses import dataclass

import numpy as np

from . import _native
from .errors import LgcError
from .lgn import KIND_NAMES, LgnNet, ensemble, mirror, read_lgn, write_lgn

__all__ = [
    "LgcError", "Net", "NetInfo", "LgnNet", "KIND_NAMES", "load", "cascade", "compile",
    "read_lgn", "write_lgn", "ensemble", "mirror", "from_difflogic", "to_difflogic_state",
]


@dataclass(frozen=True)
class NetInfo:
    path: str
    backend: str
    inputs: int
    features: int
    classes: int
    outputs: int
    gates: int
    vector_bits: int
    tau: float


class Net:
    """A net opened by the C runtime: a net.so, a .lgn or a GPU module."""

    def __init__(self, path, threads=0, _open=None, device=None):
        _check_threads(threads)
        if device is not None and (isinstance(device, bool) or not isinstance(device, int)
                                   or device < 0):
            raise ValueError(f"device must be a CUDA device ordinal (0, 1, ...), not {device!r}")
        self._lib = _native.lib()
        err = _native.error_buffer()
        if _open is None:
            path = os.fspath(path)
            if not os.path.exists(path):
                raise FileNotFoundError(path)
            if device is None:
                self._handle = self._lib.lgc_rt_open(path.encode(), err, len(err))
            else:
                self._handle = self._lib.lgc_rt_open_cuda(path.encode(), device, err, len(err))
        else:
            self._handle = _open(self._lib, err)
        if not self._handle:
            raise LgcError(_native.message(err))
        raw = self._lib.lgc_rt_info(self._handle).contents
        self.threads = threads
        self.info = NetInfo(
            path=path,
            backend=self._lib.lgc_rt_backend(self._handle).decode(),
            inputs=raw.inputs, features=raw.features, classes=raw.classes,
            outputs=raw.outputs, gates=raw.gates, vector_bits=raw.vector_bits,
            tau=raw.tau)

    def close(self):
        if getattr(self, "_handle", None):
            self._lib.lgc_rt_close(self._handle)
            self._handle = None

    def __del__(self):
        self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        i = self.info
        return (f"lgc.Net({i.path!r}, {i.features} features -> {i.classes} classes, "
                f"{i.gates} gates, {i.backend})")

    @property
    def cascade_samples(self):
        """For a cascade (lgc.cascade or a .cascade file): how many samples
        each of its nets ran on in the last run, a list; None otherwise."""
        if not self._handle:
            raise LgcError("the net is closed")
        return _native.cascade_samples(self._lib, self._handle)

    def _rows(self, shape):
        """The samples in an array of `shape`: (features,) is one sample,
        (n, features) or (n, ...) whose trailing sizes multiply to features
        is n of them."""
        features = self.info.features
        if len(shape) == 1:
            if shape[0] != features:
                raise ValueError(f"a sample has {shape[0]} features, the net reads {features}")
            return 1
        if len(shape) >= 2:
            per = int(np.prod(shape[1:]))
            if per != features:
                raise ValueError(
                    f"samples of shape {tuple(shape[1:])} have {per} features, "
                    f"the net reads {features}")
            return shape[0]
        raise ValueError("samples must be an array of shape (n, features)")

    def _samples(self, x):
        """x as a C-contiguous (n, features) uint8 or float32 array (no copy
        when it already is one)."""
        if not isinstance(x, np.ndarray):
            x = np.asarray(x)
        if x.dtype == np.uint8:
            dtype = np.uint8
        elif x.dtype.kind == "f":
            dtype = np.float32
        elif x.dtype == np.bool_:
            x, dtype = x.astype(np.float32), np.float32
        else:
            raise TypeError(f"samples must be uint8 (0..255) or float (0..1), not {x.dtype}")
        n = self._rows(x.shape)
        return np.ascontiguousarray(x.reshape(n, self.info.features), dtype=dtype)

    def _device_samples(self, cai):
        """(address, n, stream) of uint8 samples in GPU memory, from an
        array's __cuda_array_interface__ (PyTorch, CuPy, Numba)."""
        if not isinstance(cai, dict) or not {"shape", "typestr", "data"} <= cai.keys():
            raise TypeError("__cuda_array_interface__ needs shape, typestr and data")
        dtype = np.dtype(cai["typestr"])
        if dtype != np.uint8:
            raise TypeError(f"samples in GPU memory must be uint8 (0..255), not {dtype}: "
                            "the GPU reads 8-bit features")
        shape = tuple(int(d) for d in cai["shape"])
        n = self._rows(shape)
        strides = cai.get("strides")
        if strides is not None:
            expected, step = [], 1
            for d in reversed(shape):
                expected.append(step)
                step *= d
            if any(d > 1 and s != e for d, s, e in zip(shape, strides, reversed(expected))):
                raise ValueError(f"samples in GPU memory must be C-contiguous, not strides "
                                 f"{tuple(strides)} for shape {shape} (.contiguous() copies them)")
        if cai.get("mask") is not None:
            raise ValueError("masked CUDA arrays are not supported")
        stream = cai.get("stream") or 0
        if isinstance(stream, bool) or not isinstance(stream, int) or stream < 0:
            raise TypeError(f"__cuda_array_interface__ stream must be an integer, not {stream!r}")
        address = int(cai["data"][0]) if cai["data"] else 0
        return address, n, stream

    def run(self, x, want_counts=True, want_classes=True, threads=None):
        """(classes, counts) for samples x; either may be None if not wanted.
        x may also be a uint8 array in GPU memory (anything with
        __cuda_array_interface__: PyTorch CUDA tensors, CuPy arrays) for a
        GPU net, which reads it there; the results are numpy arrays."""
        if not self._handle:
            raise LgcError("the net is closed")
        threads = self.threads if threads is None else threads
        _check_threads(threads)
        try:
            cai = x.__cuda_array_interface__
        except AttributeError:
            cai = None
        if cai is not None:
            return self._run_device(cai, want_counts, want_classes)
        x = self._samples(x)
        n = x.shape[0]
        classes = np.empty(n, dtype=np.uint32) if want_classes else None
        counts = np.empty((n, self.info.classes), dtype=np.uint32) if want_counts else None
        fn = self._lib.lgc_rt_run_u8 if x.dtype == np.uint8 else self._lib.lgc_rt_run_f32
        err = _native.error_buffer()
        rc = fn(self._handle, x.ctypes.data if n else None, n,
                counts.ctypes.data if counts is not None and n else None,
                classes.ctypes.data if classes is not None and n else None,
                threads, err, len(err))
        if rc != 0:
            raise LgcError(_native.message(err))
        return classes, counts

    def _run_device(self, cai, want_counts, want_classes):
        address, n, stream = self._device_samples(cai)
        classes = np.empty(n, dtype=np.uint32) if want_classes else None
        counts = np.empty((n, self.info.classes), dtype=np.uint32) if want_counts else None
        if n == 0:
            return classes, counts
        err = _native.error_buffer()
        rc = self._lib.lgc_rt_run_device(
            self._handle, 0, address, n,
            counts.ctypes.data if counts is not None else None,
            classes.ctypes.data if classes is not None else None,
            stream, err, len(err))
        if rc != 0:
            raise LgcError(_native.message(err))
        return classes, counts

    def predict(self, x, threads=None):
        """The predicted class of each sample (argmax of the counts, lowest
        class on ties), as uint32."""
        return self.run(x, want_counts=False, threads=threads)[0]

    def counts(self, x, threads=None):
        """Each sample's per-class counts (GroupSum popcounts), (n, classes)."""
        return self.run(x, want_classes=False, threads=threads)[1]

    def scores(self, x, threads=None):
        """GroupSum scores: counts / tau, as float64."""
        return self.counts(x, threads).astype(np.float64) / self.info.tau


def _check_threads(threads):
    if not isinstance(threads, int) or isinstance(threads, bool) or threads < 0:
        raise ValueError(f"threads must be a non-negative integer, not {threads!r}")


def cascade(nets, margins, threads=0):
    """Joins 2 or more nets (paths of anything lgc.load opens but a .cascade)
    into one: net i + 1 runs only on the samples whose summed scores (counts
    over summed tau) from nets 1 .. i leave the top two classes less than
    margins[i - 1] apart, and adds its counts; the others keep what they
    have. `margins`: one number per net after the first (>= 0; math.inf runs
    the net on every sample), or one number for all. The same net as a
    .cascade file naming them; `cascade_samples` tells how far samples got."""
    paths = _native.existing_paths(
        nets, "nets", lambda net: net.info.path if isinstance(net, Net) else net)
    if len(paths) < 2:
        raise ValueError(f"a cascade joins two or more nets, not {len(paths)}")
    if isinstance(margins, (int, float)) and not isinstance(margins, bool):
        margins = [margins] * (len(paths) - 1)
    margins = list(margins)
    if len(margins) != len(paths) - 1:
        raise ValueError(f"a cascade of {len(paths)} nets takes {len(paths) - 1} "
                         f"margins, one per net after the first, not {len(margins)}")
    for m in margins:
        if isinstance(m, bool) or not isinstance(m, (int, float)) or not m >= 0:
            raise ValueError(f"margins must be numbers >= 0 (math.inf allowed), not {m!r}")

    def open_cascade(lib, err):
        return _native.open_cascade(lib, paths, margins, err)

    return Net(", ".join(paths), threads, _open=open_cascade)


def load(path, threads=0, device=None):
    """Opens a net.so (from lgc), a .lgn (the reference interpreter) or a
    .ptx, .cubin or .fatbin (the GPU). `threads`: host threads per batch of
    a net.so, 0 for all cores. `device`: for a GPU module (or a .cascade
    file's GPU modules), the CUDA device it runs on (default 0), where CUDA
    arrays passed to it must live."""
    return Net(path, threads, device=device)


def compile(source, output, opt=2, target=None, emit=None, extra=()):
    """Runs the lgc tool: `lgc -O<opt> source -o output`, `--mcpu=<target>`
    for a CPU other than this one, `--emit=<stage>` to force the output kind.
    Returns the output path; raises LgcError with lgc's message."""
    source, output = os.fspath(source), os.fspath(output)
    if opt not in (0, 1, 2):
        raise ValueError(f"opt must be 0, 1 or 2, not {opt!r}")
    cmd = [_native.find_tool("lgc"), f"-O{opt}", source, "-o", output]
    if target:
        cmd.append(f"--mcpu={target}")
    if emit:
        cmd.append(f"--emit={emit}")
    cmd += list(extra)
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise LgcError(proc.stderr.strip() or f"lgc failed ({proc.returncode})")
    return output


def from_difflogic(*args, **kwargs):
    """See lgc.difflogic.from_difflogic."""
    from .difflogic import from_difflogic as impl
    return impl(*args, **kwargs)


def to_difflogic_state(*args, **kwargs):
    """See lgc.difflogic.to_difflogic_state."""
    from .difflogic import to_difflogic_state as impl
    return impl(*args, **kwargs)


del ctypes
