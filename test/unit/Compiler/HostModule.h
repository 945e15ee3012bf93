//===- HostModule.h - GPU kernels compiled for the host ---------*- C++ -*-===//
//
// Part of lgc. The GPU lowering in host mode (convert-lgn-to-nvvm
// host-mode=true), compiled for this CPU into a shared library, and the
// module file the emulated CUDA driver (EmulatedCudaDriver.cpp) loads in a
// cubin's place: the GPU runtime's tests without a GPU.
//
//===----------------------------------------------------------------------===//

#ifndef LGC_TEST_UNIT_COMPILER_HOSTMODULE_H
#define LGC_TEST_UNIT_COMPILER_HOSTMODULE_H

#include "lgc/Conversion/GateLowering.h"
#include "lgc/Runtime/Net.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <cstdint>
#include <string>
#include <vector>

namespace lgc::test {

/// The block kernel's lowering options for buildHostModeLibrary; 0 leaves
/// the lowering's default (words: the most that fit).
struct BlockOptions {
  /// wordBits: 64 or 32 (0: the lowering's choice).
  unsigned words = 0, threads = 0, unroll = 0, wordBits = 0;
  /// Shared memory (limit and target): less than the values sends the
  /// slots past it to global memory.
  unsigned sharedLimit = 0;
  bool interleave = false, bothKernels = false, wordArgmax = false;
  /// Gates read by one gate only evaluated in its entry; U consecutive
  /// entries a thread (the earlier mapping); entries and slots in the
  /// net's order (no bank spread).
  bool fuse = false, threadRuns = false, noBankSpread = false;
  /// Each round loads its own table entries (the earlier form) instead of
  /// the previous round loading them.
  bool noPrefetch = false;
  /// Each gate at the level after its operands' instead of later where
  /// that fills the levels' rounds.
  bool noBalance = false;
  /// The u8 form prefetches the next blocks' pixels (on a GPU; host mode
  /// has the runtime-written global only).
  bool u8Prefetch = false;
  /// The gate table in shared memory (the copy function exported).
  bool tableShared = false;
  /// With it, the next block's packed rows prefetched after phase 0.
  bool rowsPrefetch = false;
};

/// The packing kernels' forms for buildHostModeLibrary.
struct PackOptions {
  /// > 0: also lgc_pack_u8_tiled's function (thermometer encodings),
  /// packing so many words a block.
  unsigned tiledWords = 0;
  /// lgc_pack_bits's words a thread (1 or 4).
  unsigned bitsWords = 1;
};

/// A constant global of the host-mode module replaced (or added) after the
/// lowering by an array of 32-bit `values`: a malformed module for the
/// runtime's checks (a value it must refuse, or a size).
struct GlobalEdit {
  std::string name;
  std::vector<int32_t> values;
};
/// Compiles `net` (optimised) to the kernels' host-mode functions in a
/// shared library at `so`; with `block`, lgc_net is the block kernel (or,
/// with block->bothKernels, lgc_net_block beside the thread kernel); the
/// thread kernel's words are `threadBits` bits.
/// `editShape`, where given, rewrites the shape table's slots after the
/// lowering (a malformed module for the runtime's checks).
/// `countColumns` > 0: the thread kernel counts in its gate functions with
/// so many counter columns in registers (lgc's default); 0: count functions
/// after the gates. `rematDepth`: how deep the thread kernel recomputes
/// gates of earlier functions. `pack`: the packing kernels' forms.
/// `editGlobals`: globals replaced after the lowering.
bool buildHostModeLibrary(
    const Net &net, unsigned gatesPerFunction, unsigned window,
    const std::string &so, const BlockOptions *block = nullptr,
    unsigned threadBits = 64,
    llvm::function_ref<void(std::vector<int32_t> &)> editShape = nullptr,
    unsigned countColumns = kDefaultGpuCountRegisterColumns,
    unsigned rematDepth = kDefaultGpuRematDepth, PackOptions pack = {},
    llvm::ArrayRef<GlobalEdit> editGlobals = {});

/// The module file the emulated CUDA driver loads in the place of a cubin
/// ("lgc-host-module:" and the path of a library from buildHostModeLibrary).
bool writeHostModuleFile(const std::string &module, const std::string &so);
/// buildHostModeLibrary, then its module file (writeHostModuleFile).
bool buildHostModule(const Net &net, unsigned gatesPerFunction, unsigned window,
                     const std::string &so, const std::string &module,
                     const BlockOptions *block = nullptr,
                     unsigned threadBits = 64,
                     unsigned countColumns = kDefaultGpuCountRegisterColumns,
                     unsigned rematDepth = kDefaultGpuRematDepth,
                     PackOptions pack = {});

} // namespace lgc::test

#endif // LGC_TEST_UNIT_COMPILER_HOSTMODULE_H
