# -*- Python -*- lit configuration for lgc.
import os
import re
import shutil
import subprocess

import lit.formats

config.name = "lgc"
config.test_format = lit.formats.ShTest(True)
config.suffixes = [".mlir", ".test", ".lgn"]
config.excludes = ["Inputs", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "unit"]

if not hasattr(config, "lgc_obj_root"):
    # Run on a source path directly (as ctest does, one file per test): load
    # the site configuration CMake wrote, which sets the paths and loads this
    # file again.
    site = lit_config.params.get("lgc_site_config") or os.environ.get("LGC_LIT_SITE_CONFIG")
    if not site:
        lit_config.fatal("run lit on the build tree's test/ or pass --param lgc_site_config=...")
    lit_config.load_config(config, site)
else:
    config.test_source_root = os.path.dirname(__file__)
    config.test_exec_root = os.path.join(config.lgc_obj_root, "test")
    config.environment["PATH"] = os.pathsep.join(
        [config.lgc_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", ""),
         "/usr/local/cuda/bin"])
    config.substitutions.append(("%PATH%", config.environment["PATH"]))
    config.substitutions.append(("%inputs", os.path.join(config.test_source_root, "Inputs")))
    config.substitutions.append(("%lgc_libdir", os.path.join(config.lgc_obj_root, "lib")))

    def have(tool):
        return shutil.which(tool, path=config.environment["PATH"]) is not None

    for tool, feature in [("verilator", "verilator"), ("iverilog", "iverilog"),
                          ("yosys", "yosys"), ("ptxas", "ptxas")]:
        if have(tool) or (tool == "ptxas" and os.path.exists("/usr/local/cuda/bin/ptxas")):
            config.available_features.add(feature)
    # The toolkit's programs by path, for tests that put a logging ptxas in
    # front of the real one.
    ptxas = shutil.which("ptxas", path=config.environment["PATH"])
    if ptxas:
        config.substitutions.append(("%ptxas", ptxas))
        config.substitutions.append(("%nvlink", os.path.join(os.path.dirname(ptxas), "nvlink")))
    # nvdisasm (bench/gpu_sass.py), with --compat where it is older than
    # ptxas (it reads a rewritten copy of the newer toolkit's cubins).
    nvdisasm = shutil.which("nvdisasm", path=config.environment["PATH"])
    if nvdisasm and ptxas:
        config.available_features.add("nvdisasm")

        def release(tool):
            out = subprocess.run([tool, "--version"], capture_output=True, text=True).stdout
            m = re.search(r"release (\d+)\.(\d+)", out)
            return (int(m.group(1)), int(m.group(2))) if m else (0, 0)

        older = release(nvdisasm) < release(ptxas)
        config.substitutions.append(("%sass_compat", "--compat" if older else ""))
    if os.path.exists("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"):
        config.available_features.add("fashion-mnist")
