// RUN: lgc-opt %s --convert-lgn-to-nvvm | FileCheck %s --check-prefix=W1
// RUN: lgc-opt %s --convert-lgn-to-nvvm="pack-bits-words=4" | FileCheck %s --check-prefix=W4
// RUN: not lgc-opt %s --convert-lgn-to-nvvm="pack-bits-words=2" 2>&1 | FileCheck %s --check-prefix=W2
// W2: error: pack-bits-words must be 1 or 4, not 2

// lgc_pack_bits copies packed input bits (bits[t * inputs + i]) into the
// tile-major input array. One word a thread (the default): input bit
// i = gid % 3 of word t = gid / 3, read through the global address space
// as an invariant load (ld.global.nc: no kernel writes the bits), one
// 8-byte store, no symbol saying so, a grid of words x inputs threads.
// W1-NOT:      __lgc_gen_pack_bits_words
// W1-LABEL:    llvm.func internal @__lgc_gpu_pack_bits
// W1-NEXT:       %[[BITS:.*]] = llvm.addrspacecast %arg0 : !llvm.ptr to !llvm.ptr<1>
// W1:            %[[T:.*]] = llvm.udiv %arg4, %{{.*}} : i64
// W1-NEXT:       llvm.mlir.constant(32 : i64) : i64
// W1-NEXT:       llvm.udiv %[[T]]
// W1:            %[[AT:.*]] = llvm.getelementptr %[[BITS]][%{{.*}}] : (!llvm.ptr<1>, i64) -> !llvm.ptr<1>, i64
// W1-NEXT:       llvm.load %[[AT]] invariant {alignment = 8 : i64} : !llvm.ptr<1> -> i64
// W1-NOT:        llvm.load
// W1:            llvm.store %{{.*}}, %{{.*}} {alignment = 8 : i64} : i64, !llvm.ptr
// W1-NEXT:       llvm.return
// W1-LABEL:    llvm.func @lgc_pack_bits
// W1:            %[[ROWS:.*]] = llvm.mlir.constant(3 : i64) : i64
// W1-NEXT:       %[[LIMIT:.*]] = llvm.mul %arg3, %[[ROWS]] : i64
// W1-NEXT:       llvm.icmp "ult" %{{.*}}, %[[LIMIT]] : i64

// Four words a thread: the module says so (__lgc_gen_pack_bits_words);
// thread gid copies words 4 q .. 4 q + 3 (q = gid / 3) of input bit
// gid % 3, four loads, each word's samples past n masked off, and the
// row's four words, consecutive in its tile, in one 32-byte store.
// W4:          llvm.mlir.global external constant @__lgc_gen_pack_bits_words(dense<4> : tensor<1xi32>)
// W4-LABEL:    llvm.func internal @__lgc_gpu_pack_bits
// W4:            %[[Q:.*]] = llvm.udiv %arg4, %{{.*}} : i64
// W4-NEXT:       %[[FOUR:.*]] = llvm.mlir.constant(4 : i64) : i64
// W4-NEXT:       %[[T0:.*]] = llvm.mul %[[Q]], %[[FOUR]] : i64
// W4-COUNT-4:    llvm.load {{.*}} invariant {alignment = 8 : i64} : !llvm.ptr<1> -> i64
// W4-NOT:        llvm.load
// W4:            llvm.mlir.undef : vector<4xi64>
// W4-COUNT-4:    llvm.insertelement
// W4-NEXT:       llvm.store %{{.*}}, %{{.*}} {alignment = 32 : i64} : vector<4xi64>, !llvm.ptr
// W4-NEXT:       llvm.return
// The grid: words / 4 x inputs threads.
// W4-LABEL:    llvm.func @lgc_pack_bits
// W4:            %[[P:.*]] = llvm.mlir.constant(4 : i64) : i64
// W4-NEXT:       %[[QUADS:.*]] = llvm.udiv %arg3, %[[P]] : i64
// W4-NEXT:       %[[ROWS:.*]] = llvm.mlir.constant(3 : i64) : i64
// W4-NEXT:       %[[LIMIT:.*]] = llvm.mul %[[QUADS]], %[[ROWS]] : i64
// W4-NEXT:       llvm.icmp "ult" %{{.*}}, %[[LIMIT]] : i64
lgn.net @bits classes 1 tau 1.0 {
^bb0(%a0: i1, %a1: i1, %a2: i1):
  %0 = lgn.gate xor %a0, %a2
  lgn.output %0
}
