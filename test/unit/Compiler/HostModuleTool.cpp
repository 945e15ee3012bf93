//===- HostModuleTool.cpp - GPU nets for the emulated driver --------------===//
//
// Part of lgc. A test tool: writes a net's GPU module in host mode (the
// thread kernel with lgc's defaults, compiled for this CPU) and the module
// file that the emulated CUDA driver loads in a cubin's place, so tests in
// other languages (the Python package's) run the GPU runtime without a GPU:
//
//   lgc-host-module net.lgn net.cubin    (also writes net.cubin.so)
//   LGC_CUDA_DRIVER=.../liblgc-emulated-cuda.so  then open net.cubin
//
//===----------------------------------------------------------------------===//

#include "HostModule.h"

#include "lgc/Runtime/Format.h"

#include <cstdio>

using namespace lgc;

int main(int argc, char **argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: lgc-host-module NET.lgn MODULE\n");
    return 2;
  }
  Net net;
  if (Status s = readNetFile(argv[1], net); !s) {
    std::fprintf(stderr, "lgc-host-module: %s\n", s.message().c_str());
    return 1;
  }
  std::string module = argv[2];
  if (!test::buildHostModule(net, 1000, kDefaultGpuRegisterWindow,
                             module + ".so", module)) {
    std::fprintf(stderr, "lgc-host-module: cannot build %s\n", argv[2]);
    return 1;
  }
  return 0;
}
