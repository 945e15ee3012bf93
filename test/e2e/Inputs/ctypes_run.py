"""Runs a compiled net from Python with ctypes only (the README's example):
through the net library's own C ABI and through liblgcrt's threaded C API."""
import ctypes
import random
import sys


class Info(ctypes.Structure):
    _fields_ = [(name, ctypes.c_uint32) for name in
                ("abi_version", "inputs", "features", "classes", "outputs",
                 "gates", "vector_bits", "reserved")] + [("tau", ctypes.c_double)]


net = ctypes.CDLL(sys.argv[1])
net.lgc_net_get_info.restype = ctypes.POINTER(Info)
info = net.lgc_net_get_info().contents
print(f"abi {info.abi_version} inputs {info.inputs} features {info.features} "
      f"classes {info.classes} tau {info.tau}")

n = 1000
rng = random.Random(1)
pixels = (ctypes.c_uint8 * (n * info.features))(
    *[rng.randrange(256) for _ in range(n * info.features)])
classes = (ctypes.c_uint32 * n)()
counts = (ctypes.c_uint32 * (n * info.classes))()
assert net.lgc_net_run_u8(pixels, ctypes.c_size_t(n), counts, classes) == 0

rt = ctypes.CDLL(sys.argv[2])
rt.lgc_rt_open.restype = ctypes.c_void_p
rt.lgc_rt_open.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t]
rt.lgc_rt_run_u8.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t,
                             ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint,
                             ctypes.c_char_p, ctypes.c_size_t]
rt.lgc_rt_close.argtypes = [ctypes.c_void_p]
err = ctypes.create_string_buffer(256)
handle = rt.lgc_rt_open(sys.argv[1].encode(), err, 256)
assert handle, err.value
classes2 = (ctypes.c_uint32 * n)()
assert rt.lgc_rt_run_u8(handle, pixels, n, None, classes2, 2, err, 256) == 0, err.value
rt.lgc_rt_close(handle)

# Counts and classes agree: the class is the first index of the largest count.
for s in range(n):
    row = counts[s * info.classes:(s + 1) * info.classes]
    assert classes[s] == row.index(max(row)), s
    assert classes2[s] == classes[s], s
print(f"ok {n} samples, class histogram {sorted(set(classes))[:3]}...")

bad = rt.lgc_rt_open(b"/nonexistent/net.so", err, 256)
assert not bad
print("error:", err.value.decode())
