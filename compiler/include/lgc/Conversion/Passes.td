//===- Passes.td - lgc conversion passes -------------------*- tablegen -*-===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#ifndef LGC_CONVERSION_PASSES_TD
#define LGC_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertLGNToLLVM : Pass<"convert-lgn-to-llvm", "mlir::ModuleOp"> {
  let summary = "Lower an lgn.net to bit-sliced LLVM dialect functions";
  let description = [{
    Replaces the module's lgn.net by `__lgc_gen_eval`, the gate functions it
    calls and the constant globals describing the net, as
    lgc/Runtime/GeneratedABI.h specifies for the CPU.
  }];
  let dependentDialects = ["mlir::LLVM::LLVMDialect"];
  let options = [
    Option<"vectorWords", "vector-words", "unsigned", "4",
           "64-bit words per vector (1, 2, 4 or 8)">,
    Option<"gatesPerFunction", "gates-per-function", "unsigned",
           "lgc::kDefaultGatesPerFunction",
           "Split the gates into functions of at most this many">,
    Option<"outputLocality", "output-locality", "unsigned",
           "0",
           "Visit each class's outputs so that those sharing gates within "
           "this depth share a function (0: in output order)">,
    Option<"registerWindow", "register-window", "unsigned",
           "lgc::kDefaultRegisterWindow",
           "Reload a value from memory when it is used more than this many "
           "gates after it was computed or loaded">,
    Option<"ternaryLogic", "ternary-logic", "bool", "false",
           "Each gate as one AVX-512 vpternlogq intrinsic (the target must "
           "have AVX-512F, and AVX-512VL below 512-bit vectors)">,
    Option<"partGates", "part-gates", "unsigned", "0",
           "Evaluate an ensemble's independent nets in parts of at least this "
           "many gates, one after the other in reused scratch "
           "(__lgc_gen_eval_part); 0: one part. Only the direct LLVM IR "
           "emitter splits; the pass always makes one part">,
    Option<"lop3Adders", "lop3-adders", "bool", "true",
           "The GroupSum's full adders as PTX lop3 instructions, a carry one "
           "LOP3 a 32-bit half (false: ANDs and ORs, of which ptxas makes "
           "two)">,
    Option<"countInCode", "count-in-code", "bool", "false",
           "The GroupSum in the generated code: each output added to its "
           "class's count as its gate completes it, each part's counts "
           "left in scratch (GeneratedABI.h, kCountPlanes). Only the "
           "direct LLVM IR emitter counts; the pass leaves it to the "
           "runtime">,
    Option<"prefetchCode", "prefetch-code", "bool", "false",
           "Put each function the entry point calls in a section of its own "
           "and, before each call, prefetch the next callee's machine code, "
           "whose extent the linker gives (GeneratedABI.h, "
           "kCpuCodeSectionPrefix). Only the direct LLVM IR emitter "
           "prefetches">,
    Option<"frameInputs", "frame-inputs", "bool", "false",
           "Lay the inputs out as the zero-framed image a padded block reads "
           "them as (GeneratedABI.h, kInputFrameHeight), so that the block "
           "reads them in place instead of copying them into a frame in "
           "scratch (blocks kept as loops; only the direct LLVM IR emitter "
           "has them)">,
    Option<"interleaveLayerRows", "interleave-layer-rows", "bool", "false",
           "A layer's convs in one function, each output row running their "
           "groups of convs-per-loop one after the other, so that the rows "
           "of the image they read stay in the caches; else a function per "
           "group, over the whole image (blocks kept as loops; only the "
           "direct LLVM IR emitter has them)">,
    Option<"convsPerLoop", "convs-per-loop", "unsigned",
           "lgc::kDefaultConvsPerLoop",
           "Evaluate up to this many convs of a layer in one loop over "
           "positions (blocks kept as loops; only the direct LLVM IR "
           "emitter has them)">
  ];
}

def ConvertLGNToNVVM : Pass<"convert-lgn-to-nvvm", "mlir::ModuleOp"> {
  let summary = "Lower an lgn.net to GPU kernels in the LLVM and NVVM dialects";
  let description = [{
    Replaces the module's lgn.net by the kernels `lgc_pack_u8` and `lgc_net`
    (marked nvvm.kernel) and the device functions they call, as
    lgc/Runtime/GeneratedABI.h specifies for the GPU. With `host-mode` the kernels are left out
    and the per-thread functions are exported, to run the same code on the
    CPU in tests.
  }];
  let dependentDialects = ["mlir::LLVM::LLVMDialect", "mlir::NVVM::NVVMDialect"];
  let options = [
    Option<"gatesPerFunction", "gates-per-function", "unsigned",
           "lgc::kDefaultGatesPerFunction",
           "Split the gates (and the GroupSum's output bits) into device "
           "functions of at most this many">,
    Option<"outputLocality", "output-locality", "unsigned",
           "lgc::kDefaultGpuOutputLocality",
           "Visit each class's outputs so that those sharing gates within "
           "this depth share a function (0: in output order)">,
    Option<"rematDepth", "remat-depth", "unsigned",
           "lgc::kDefaultGpuRematDepth",
           "Thread kernel: recompute a gate of an earlier function from "
           "operands the function reads anyway, up to this many gates deep, "
           "instead of loading it from scratch (0: always load; needs no "
           "register window)">,
    Option<"rematInputs", "remat-inputs", "bool", "true",
           "Thread kernel, with remat-depth: also recompute a gate one gate "
           "deep where the functions reading it load inputs for it that "
           "they did not read, if that saves more loads and stores than "
           "the inputs add">,
    Option<"registerWindow", "register-window", "unsigned",
           "lgc::kDefaultGpuRegisterWindow",
           "Reload a value used more than this many gates after it was "
           "computed or loaded">,
    Option<"hostMode", "host-mode", "bool", "false",
           "Per-thread functions for the host instead of kernels">,
    Option<"threadWordBits", "thread-word-bits", "unsigned", "64",
           "Thread kernel: bits of a thread's word, 64 or 32 (32: a thread "
           "per 32 samples, twice the threads for the same samples, each "
           "value half the registers)">,
    Option<"readOnlyInputs", "readonly-inputs", "bool", "true",
           "Thread kernel: read the input array as invariant loads through "
           "the global address space (ld.global.nc); false: generic loads "
           "(the earlier form, for measurements)">,
    Option<"prefetchDistance", "prefetch-distance", "unsigned", "0",
           "Thread kernel: prefetch the input or scratch row of each load "
           "this many loads before it in its gate or count function (PTX "
           "prefetch, no register for the value); 0: no prefetches">,
    Option<"prefetchLevel", "prefetch-level", "unsigned", "2",
           "Thread kernel: the cache the prefetches fill, 2 (L2) or 1 (L1)">,
    Option<"lop3Adders", "lop3-adders", "bool", "true",
           "The GroupSum's full adders as PTX lop3 instructions, a carry one "
           "LOP3 a 32-bit half (false: ANDs and ORs, of which ptxas makes "
           "two)">,
    Option<"countInCode", "count-in-code", "bool", "false",
           "Thread kernel: add each output to its class's count right after "
           "the gate that completes it (the GroupSum in the gate functions), "
           "so an output is stored to scratch only where a later function "
           "reads it, instead of every output stored and read back by "
           "count functions after the gates">,
    Option<"countRegisterColumns", "count-register-columns", "unsigned",
           "lgc::kDefaultGpuCountRegisterColumns",
           "Thread kernel, counting in code: the counter's columns of "
           "weight 2^j below this many stay in registers, the others (each "
           "touched about every 2^j outputs) in scratch">,
    Option<"blockKernel", "block-kernel", "bool", "false",
           "lgc_net as the block kernel: a block's threads evaluate the "
           "gates of one level at a time for a few words, values in shared "
           "memory (instead of a thread per word, values in registers and "
           "scratch)">,
    Option<"bothKernels", "both-kernels", "bool", "false",
           "With block-kernel: lgc_net the thread kernel and lgc_net_block "
           "the block kernel (with its own shape table), for the runtime to "
           "choose per launch; the block kernel is left out where its values "
           "do not fit shared memory">,
    Option<"blockWords", "block-words", "unsigned", "0",
           "Block kernel: words (of block-word-bits samples each) per "
           "block, 1, 2, 4 or 8; "
           "0: the most whose shared memory fits block-shared-target">,
    Option<"blockThreads", "block-threads", "unsigned",
           "lgc::kDefaultGpuBlockThreads", "Block kernel: threads per block">,
    Option<"blockSharedTarget", "block-shared-target", "unsigned",
           "lgc::kDefaultGpuBlockSharedTarget",
           "Block kernel: bytes of shared memory per block that block-words=0 "
           "aims at">,
    Option<"blockUnroll", "block-unroll", "unsigned",
           "lgc::kDefaultGpuBlockUnroll",
           "Block kernel: gates a thread evaluates per round of a level, "
           "their loads before their stores (at most a quarter of the "
           "registers the resident blocks leave a thread, over the words "
           "it evaluates)">,
    Option<"blockSpreadBanks", "block-spread-banks", "bool", "true",
           "Block kernel: order each level's gates and choose their slots so "
           "that a half warp's accesses spread over the shared-memory banks">,
    Option<"blockFuseGates", "block-fuse-gates", "bool", "false",
           "Block kernel: evaluate a gate whose only reader is another gate "
           "in that reader's table entry, in registers (up to two a reader), "
           "instead of through a shared-memory slot of its own">,
    Option<"blockBalanceLevels", "block-balance-levels", "bool", "true",
           "Block kernel: move gates to later levels, within what their "
           "readers allow, so that each level fills whole rounds of a "
           "block's gates (false: each gate at the level after its "
           "operands')">,
    Option<"blockThreadRuns", "block-thread-runs", "bool", "false",
           "Block kernel: thread t takes entries t * U .. t * U + U - 1 of "
           "each round of a level (the earlier mapping, to measure against) "
           "instead of entries t, t + B, ..., t + (U - 1) B, so that a "
           "warp's table load is one contiguous run">,
    Option<"blockInterleaveWords", "block-interleave-words", "bool", "false",
           "Block kernel: thread t evaluates word t % S of its gates (S words "
           "per block), so a half warp reads the S words of 16 / S gates, "
           "instead of every word of its own gates">,
    Option<"blockWordArgmax", "block-word-argmax", "bool", "false",
           "Block kernel: the argmax as a thread per word (bit-sliced over its "
           "64 samples, the earlier form) instead of a thread per sample">,
    Option<"blockPrefetch", "block-prefetch", "bool", "true",
           "Block kernel: each thread loads its next round's table entries "
           "while it evaluates the current round (false: each round loads "
           "its entries first, the earlier form)">,
    Option<"blockU8Prefetch", "block-u8-prefetch", "bool", "false",
           "Block kernel's u8 form: after phase 0 each block prefetches into "
           "the L2 the pixels of the block that will take its place (the "
           "runtime writes how many blocks ahead, "
           "__lgc_gen_block_u8_ahead), so that its phase 0 reads them from "
           "the L2 while the level phases leave the DRAM idle">,
    Option<"blockTableShared", "block-table-shared", "bool", "false",
           "Block kernel: its gate table copied into shared memory, beside "
           "the values, once a block, and its blocks looping over the "
           "grid's words (the runtime launches as many as the device runs "
           "at once), so that a level's entries are shared-memory loads, not "
           "loads from the L2 after each barrier; where the table and the "
           "values do not fit the shared-memory limit together, or the "
           "values alone do not, the table stays in global memory (a "
           "remark)">,
    Option<"blockRowsPrefetch", "block-rows-prefetch", "bool", "false",
           "Block kernel whose blocks loop over the grid "
           "(block-table-shared): after phase 0 each block prefetches into "
           "the L2 the packed input rows of the block it takes next, so "
           "that its next phase 0 reads them from the L2">,
    Option<"packTiled", "pack-tiled", "bool", "false",
           "Also lgc_pack_u8_tiled: the u8 packing kernel with a block per "
           "64-sample word, whose contiguous pixels it copies into shared "
           "memory 16 bytes a load before thresholding them (a thermometer "
           "encoding; the runtime launches it in place of lgc_pack_u8)">,
    Option<"packTiledWords", "pack-tiled-words", "unsigned", "1",
           "lgc_pack_u8_tiled: the 64-sample words a block packs, 1, 2 or 4 "
           "(more than one: each row's words written together, from shared "
           "memory)">,
    Option<"packBitsWords", "pack-bits-words", "unsigned", "1",
           "lgc_pack_bits: the 64-sample words a thread copies, 1 or 4 (4: "
           "a row's four words written by one thread, a whole 32-byte "
           "sector, in two 16-byte stores)">,
    Option<"blockU8", "block-u8", "bool", "true",
           "Block kernel: also its form that reads 8-bit features itself "
           "(lgc_net_u8, or lgc_net_block_u8 beside the thread kernel) in "
           "place of the packing kernel and the packed input, where the "
           "encoding is a thermometer">,
    Option<"blockSharedLimit", "block-shared-limit", "unsigned",
           "lgc::kDefaultGpuBlockSharedLimit",
           "Block kernel: the most shared memory a block may use (bytes)">,
    Option<"blockWordBits", "block-word-bits", "unsigned", "0",
           "Block kernel: bits of its words, 64 or 32 (half the shared "
           "memory a value, half the samples a word); 0: 32 where one 64-bit "
           "word's values exceed block-shared-limit and one 32-bit word's do "
           "not (its words may then take up to block-shared-limit), else 64">
  ];
}

#endif // LGC_CONVERSION_PASSES_TD
