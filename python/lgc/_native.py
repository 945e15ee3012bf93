"""ctypes bindings to liblgcrt (runtime/include/lgc/lgc_runtime.h).

Finding the library and the lgc tool: LGC_RUNTIME_LIB / LGC_TOOL name the
files; LGC_BUILD_DIR names a build tree (lib/, bin/); then the repository's
build/ when this package runs from a checkout; then the system's library
path and PATH.
"""
import ctypes
import ctypes.util
import os
import shutil

from .errors import LgcError

_ERROR_SIZE = 4096


class NetInfo(ctypes.Structure):
    """lgc_net_info."""

    _fields_ = [
        ("abi_version", ctypes.c_uint32),
        ("inputs", ctypes.c_uint32),
        ("features", ctypes.c_uint32),
        ("classes", ctypes.c_uint32),
        ("outputs", ctypes.c_uint32),
        ("gates", ctypes.c_uint32),
        ("vector_bits", ctypes.c_uint32),
        ("reserved", ctypes.c_uint32),
        ("tau", ctypes.c_double),
    ]


class LgnNetView(ctypes.Structure):
    """lgc_lgn_net: a .lgn net as arrays."""

    _fields_ = [
        ("inputs", ctypes.c_uint32),
        ("features", ctypes.c_uint32),
        ("classes", ctypes.c_uint32),
        ("num_gates", ctypes.c_uint32),
        ("num_outputs", ctypes.c_uint32),
        ("num_levels", ctypes.c_uint32),
        ("num_bits", ctypes.c_uint32),
        ("num_layers", ctypes.c_uint32),
        ("num_metadata", ctypes.c_uint32),
        ("tau", ctypes.c_double),
        ("kinds", ctypes.POINTER(ctypes.c_uint8)),
        ("a", ctypes.POINTER(ctypes.c_uint32)),
        ("b", ctypes.POINTER(ctypes.c_uint32)),
        ("outputs", ctypes.POINTER(ctypes.c_uint32)),
        ("levels", ctypes.POINTER(ctypes.c_float)),
        ("bit_features", ctypes.POINTER(ctypes.c_uint32)),
        ("bit_thresholds", ctypes.POINTER(ctypes.c_float)),
        ("layer_starts", ctypes.POINTER(ctypes.c_uint32)),
        ("metadata", ctypes.POINTER(ctypes.c_char_p)),
        ("owner", ctypes.c_void_p),
    ]


def _checkout_build_dir():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    return os.path.join(root, "build")


def _candidates(env_file, relative):
    """The file named by the environment variable `env_file` if set, else
    `relative` in LGC_BUILD_DIR and in the checkout's build tree."""
    if env_file and os.environ.get(env_file):
        return [os.environ[env_file]]
    dirs = [os.environ["LGC_BUILD_DIR"]] if os.environ.get("LGC_BUILD_DIR") else []
    dirs.append(_checkout_build_dir())
    return [os.path.join(d, relative) for d in dirs]


def find_runtime_library():
    """The path of liblgcrt.so (or its soname for the dynamic loader)."""
    for path in _candidates("LGC_RUNTIME_LIB", os.path.join("lib", "liblgcrt.so")):
        if os.path.exists(path):
            return path
    found = ctypes.util.find_library("lgcrt")
    if found:
        return found
    raise LgcError(
        "cannot find liblgcrt.so: build lgc (scripts/setup.sh), or set "
        "LGC_BUILD_DIR to a build tree or LGC_RUNTIME_LIB to the library")


def find_tool(name="lgc"):
    """The path of an lgc tool (lgc, lgn-run, ...)."""
    env = "LGC_TOOL" if name == "lgc" else None
    for path in _candidates(env, os.path.join("bin", name)):
        if os.path.exists(path) and os.access(path, os.X_OK):
            return path
    found = shutil.which(name)
    if found:
        return found
    raise LgcError(f"cannot find the {name} tool: build lgc, or set LGC_BUILD_DIR")


_lib = None


def lib():
    """The loaded liblgcrt, with argument types declared."""
    global _lib
    if _lib is not None:
        return _lib
    path = find_runtime_library()
    try:
        handle = ctypes.CDLL(path)
    except OSError as e:
        raise LgcError(f"cannot load {path}: {e}") from None
    p, size = ctypes.c_void_p, ctypes.c_size_t
    err = ctypes.c_char_p
    handle.lgc_rt_open.restype = p
    handle.lgc_rt_open.argtypes = [ctypes.c_char_p, err, size]
    handle.lgc_rt_open_cuda.restype = p
    handle.lgc_rt_open_cuda.argtypes = [ctypes.c_char_p, ctypes.c_int, err, size]
    handle.lgc_rt_close.restype = None
    handle.lgc_rt_close.argtypes = [p]
    handle.lgc_rt_info.restype = ctypes.POINTER(NetInfo)
    handle.lgc_rt_info.argtypes = [p]
    handle.lgc_rt_backend.restype = ctypes.c_char_p
    handle.lgc_rt_backend.argtypes = [p]
    handle.lgc_rt_open_cascade.restype = p
    handle.lgc_rt_open_cascade.argtypes = [ctypes.POINTER(ctypes.c_char_p), size,
                                           ctypes.POINTER(ctypes.c_double), err, size]
    handle.lgc_rt_cascade_samples.restype = size
    handle.lgc_rt_cascade_samples.argtypes = [p, ctypes.POINTER(size), size]
    for name in ("lgc_rt_run_u8", "lgc_rt_run_f32"):
        fn = getattr(handle, name)
        fn.restype = ctypes.c_int
        fn.argtypes = [p, p, size, p, p, ctypes.c_uint, err, size]
    handle.lgc_rt_run_device.restype = ctypes.c_int
    handle.lgc_rt_run_device.argtypes = [p, ctypes.c_int, ctypes.c_uint64, size, p, p,
                                         ctypes.c_uint64, err, size]
    handle.lgc_lgn_read.restype = ctypes.POINTER(LgnNetView)
    handle.lgc_lgn_read.argtypes = [ctypes.c_char_p, err, size]
    handle.lgc_lgn_free.restype = None
    handle.lgc_lgn_free.argtypes = [ctypes.POINTER(LgnNetView)]
    handle.lgc_lgn_write.restype = ctypes.c_int
    handle.lgc_lgn_write.argtypes = [ctypes.c_char_p, ctypes.POINTER(LgnNetView), err, size]
    handle.lgc_lgn_ensemble.restype = ctypes.c_int
    handle.lgc_lgn_ensemble.argtypes = [ctypes.POINTER(ctypes.c_char_p), size, ctypes.c_char_p,
                                        ctypes.c_int, ctypes.c_uint32, ctypes.c_uint32, err, size]
    handle.lgc_lgn_mirror.restype = ctypes.c_int
    handle.lgc_lgn_mirror.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_uint32,
                                      ctypes.c_uint32, err, size]
    _lib = handle
    return handle


def existing_paths(items, name, path_of=lambda item: item):
    """`items`, a sequence of paths (or of what `path_of` turns into one),
    as strings of existing files: TypeError for a single path given alone,
    FileNotFoundError for a missing file."""
    if isinstance(items, (str, bytes, os.PathLike)):
        raise TypeError(f"{name} must be a sequence of paths, not one path")
    paths = [os.fspath(path_of(item)) for item in items]
    for p in paths:
        if not os.path.exists(p):
            raise FileNotFoundError(p)
    return paths


def c_strings(paths):
    """A C array of the paths, encoded as the file system does."""
    return (ctypes.c_char_p * len(paths))(*[os.fsencode(p) for p in paths])


def open_cascade(lib, paths, margins, err):
    """lgc_rt_open_cascade on Python lists of paths (str) and margins."""
    c_paths = c_strings(paths)
    c_margins = (ctypes.c_double * len(margins))(*[float(m) for m in margins])
    return lib.lgc_rt_open_cascade(c_paths, len(paths), c_margins, err, len(err))


def cascade_samples(lib, handle):
    """The samples each net of a cascade ran on in its last run, or None."""
    nets = lib.lgc_rt_cascade_samples(handle, None, 0)
    if not nets:
        return None
    out = (ctypes.c_size_t * nets)()
    lib.lgc_rt_cascade_samples(handle, out, nets)
    return list(out)


def error_buffer():
    return ctypes.create_string_buffer(_ERROR_SIZE)


def message(buf):
    return buf.value.decode(errors="replace")
