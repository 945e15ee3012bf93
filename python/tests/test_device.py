"""Net.run on samples already in GPU memory (__cuda_array_interface__).

Without a GPU the net is the thread kernel compiled for the host
(lgc-host-module, a test tool of the build) and the CUDA driver the build's
emulated one, whose device memory is host memory it hands out and tracks:
the runtime's side (the array's description, the pointer's checks, the
layout of the results) is exact, the kernels are the generated code.
"""
import ctypes
import os
import subprocess

import numpy as np
import pytest

import lgc
from lgc import _native


def _build_file(*parts):
    for d in (os.environ.get("LGC_BUILD_DIR"), _native._checkout_build_dir()):
        if d and os.path.exists(os.path.join(d, *parts)):
            return os.path.join(d, *parts)
    pytest.skip(f"{os.path.join(*parts)} is not built (a build with MLIR)")


@pytest.fixture(scope="module")
def driver():
    """The emulated driver (the same library the runtime opens below)."""
    path = _build_file("lib", "liblgc-emulated-cuda.so")
    os.environ["LGC_CUDA_DRIVER"] = path
    lib = ctypes.CDLL(path)
    lib.cuMemAlloc_v2.argtypes = [ctypes.POINTER(ctypes.c_uint64), ctypes.c_size_t]
    lib.cuMemcpyHtoD_v2.argtypes = [ctypes.c_uint64, ctypes.c_void_p, ctypes.c_size_t]
    lib.cuMemFree_v2.argtypes = [ctypes.c_uint64]
    yield lib
    del os.environ["LGC_CUDA_DRIVER"]


@pytest.fixture(scope="module")
def nets(thermometer_net, driver, workdir):
    """(interpreter, the same net on the emulated GPU, the net compiled for
    the CPU)."""
    lgn, so = thermometer_net
    module = workdir / "thermo.cubin"
    subprocess.run([_build_file("test", "lgc-host-module"), str(lgn), str(module)],
                   check=True)
    with lgc.load(lgn) as ref, lgc.load(module) as gpu, lgc.load(so) as cpu:
        assert gpu.info.backend == "cuda (emulated CUDA device)"
        yield ref, gpu, cpu


class DeviceArray:
    """A uint8 array in (emulated) device memory, described as PyTorch and
    CuPy describe theirs; `interface` entries override the description."""

    def __init__(self, driver, host, **interface):
        self.driver = driver
        self.host = np.ascontiguousarray(host)
        self.ptr = ctypes.c_uint64(0)
        assert driver.cuMemAlloc_v2(ctypes.byref(self.ptr), max(1, self.host.nbytes)) == 0
        assert driver.cuMemcpyHtoD_v2(self.ptr.value, self.host.ctypes.data,
                                      self.host.nbytes) == 0
        self.interface = {"shape": self.host.shape, "typestr": self.host.dtype.str,
                          "data": (self.ptr.value, False), "version": 3,
                          "strides": None, "stream": None}
        self.interface.update(interface)

    @property
    def __cuda_array_interface__(self):
        return self.interface

    def free(self):
        self.driver.cuMemFree_v2(self.ptr.value)


@pytest.mark.parametrize("n", [1, 64, 65, 3000])
def test_device_samples_match(nets, driver, n):
    ref, gpu, cpu = nets
    x = np.random.default_rng(n).integers(0, 256, size=(n, 40), dtype=np.uint8)
    want_classes, want_counts = ref.run(x)
    d = DeviceArray(driver, x)
    try:
        classes, counts = gpu.run(d)
        np.testing.assert_array_equal(classes, want_classes)
        np.testing.assert_array_equal(counts, want_counts)
        np.testing.assert_array_equal(gpu.predict(d), want_classes)
        np.testing.assert_array_equal(gpu.counts(d), want_counts)
        # The same net from host memory on the GPU and compiled for the CPU.
        np.testing.assert_array_equal(gpu.predict(x), want_classes)
        np.testing.assert_array_equal(cpu.predict(x), want_classes)
    finally:
        d.free()


def test_device_layouts(nets, driver):
    ref, gpu, _ = nets
    x = np.random.default_rng(9).integers(0, 256, size=(200, 40), dtype=np.uint8)
    want = ref.predict(x)
    arrays = [
        # Images as (n, h, w), one sample as (features,), explicit C
        # strides, a stream to wait for (1: the legacy default stream).
        (DeviceArray(driver, x.reshape(200, 4, 10)), want),
        (DeviceArray(driver, x[7]), want[7:8]),
        (DeviceArray(driver, x, strides=(40, 1)), want),
        (DeviceArray(driver, x, stream=1), want),
        # A size-1 dimension may have any stride.
        (DeviceArray(driver, x[:1], strides=(12345, 1)), want[:1]),
    ]
    try:
        for d, expected in arrays:
            np.testing.assert_array_equal(gpu.predict(d), expected)
        empty = DeviceArray(driver, x[:0])
        classes, counts = gpu.run(empty)
        assert classes.shape == (0,) and counts.shape == (0, 5)
        empty.free()
    finally:
        for d, _ in arrays:
            d.free()


def test_device_errors(nets, driver, tmp_path):
    ref, gpu, cpu = nets
    x = np.random.default_rng(2).integers(0, 256, size=(100, 40), dtype=np.uint8)
    d = DeviceArray(driver, x)
    try:
        cases = [
            (DeviceArray(driver, x.astype(np.float32)), TypeError, "must be uint8"),
            (DeviceArray(driver, x, strides=(1, 100)), ValueError, "C-contiguous"),
            (DeviceArray(driver, x, mask=(0, False)), ValueError, "masked"),
            (DeviceArray(driver, x.reshape(100, 4, 10)[:, :3]), ValueError,
             "the net reads 40"),
            (DeviceArray(driver, x, stream="s"), TypeError, "stream must be an integer"),
            # Memory the driver never handed out, and more samples than the
            # allocation holds: the runtime's checks, before any launch.
            (DeviceArray(driver, x, data=(x.ctypes.data, False)), lgc.LgcError,
             "not memory the CUDA driver knows"),
            (DeviceArray(driver, x, shape=(101, 40)), lgc.LgcError,
             "but the allocation at"),
        ]
        for array, error, message in cases:
            with pytest.raises(error, match=message):
                gpu.predict(array)
            array.free()
        # Float samples from host memory: the GPU reads 8-bit features.
        with pytest.raises(lgc.LgcError, match="8-bit features only: uint8 samples"):
            gpu.predict(x.astype(np.float32) / 255)
        # Nets that do not run on the GPU.
        for net in (ref, cpu):
            with pytest.raises(lgc.LgcError, match="needs a GPU net"):
                net.predict(d)
        # The CUDA device a GPU module runs on: the emulated driver has one.
        with lgc.load(gpu.info.path, device=0) as again:
            np.testing.assert_array_equal(again.predict(d), ref.predict(x))
        with pytest.raises(lgc.LgcError, match=r"no CUDA device 1 \(this machine has 1\)"):
            lgc.load(gpu.info.path, device=1)
        with pytest.raises(lgc.LgcError, match="GPU modules .* only"):
            lgc.load(ref.info.path, device=0)
        for bad in (-1, "cuda:1", True, 1.0):
            with pytest.raises(ValueError, match="CUDA device ordinal"):
                lgc.load(gpu.info.path, device=bad)
        # A cascade file opens its GPU modules on the device asked for.
        mixed = tmp_path / "mixed.cascade"
        mixed.write_text(f"lgc-cascade 1\nnet {gpu.info.path}\nmargin 2\nnet {ref.info.path}\n")
        host_only = tmp_path / "host.cascade"
        host_only.write_text(f"lgc-cascade 1\nnet {ref.info.path}\nmargin 2\nnet {ref.info.path}\n")
        with lgc.load(mixed, device=0) as cascade, lgc.load(host_only) as reference:
            np.testing.assert_array_equal(cascade.predict(x), reference.predict(x))
        with pytest.raises(lgc.LgcError, match=r"no CUDA device 1 \(this machine has 1\)"):
            lgc.load(mixed, device=1)
        with pytest.raises(lgc.LgcError, match="has none"):
            lgc.load(host_only, device=1)
        # The net still runs after every refusal.
        np.testing.assert_array_equal(gpu.predict(d), ref.predict(x))
    finally:
        d.free()


def test_torch_cpu_tensors_stay_on_the_host_path(nets):
    """A PyTorch tensor in host memory has no CUDA array interface (its
    property raises AttributeError): it runs as a host array, on the GPU
    net and the CPU's alike."""
    torch = pytest.importorskip("torch")
    ref, gpu, cpu = nets
    x = np.random.default_rng(4).integers(0, 256, size=(70, 40), dtype=np.uint8)
    t = torch.from_numpy(x)
    want = ref.predict(x)
    np.testing.assert_array_equal(gpu.predict(t), want)
    np.testing.assert_array_equal(cpu.predict(t), want)
