// RUN: lgc-opt %s --split-input-file --convert-lgn-to-nvvm=pack-tiled=true -verify-diagnostics | FileCheck %s
// RUN: lgc-opt %s --split-input-file --convert-lgn-to-nvvm="pack-tiled=true pack-tiled-words=4" -verify-diagnostics | FileCheck %s --check-prefix=W4
// RUN: not lgc-opt %s --split-input-file --convert-lgn-to-nvvm="pack-tiled=true pack-tiled-words=3" 2>&1 | FileCheck %s --check-prefix=W3
// W3: error: pack-tiled-words must be 1, 2 or 4, not 3

// lgc_pack_u8_tiled for a thermometer encoding (4 features, levels 0.25 and
// 0.75), a word a block (the default): word `block`'s 64 samples are 256
// contiguous bytes of x, 16 pieces of 16 bytes. Phase 0 (even phases below
// 2 G) copies them into shared memory, a cp.async each (no registers
// held), threads past the 16 pieces doing nothing, then one wait; the last
// word (or x not 16-byte aligned) goes a byte at a time. Phase 1 (odd): a
// thread per four features (one here) makes both levels' words from
// shared memory (32-bit loads of four features, not invariant: the next
// block writes them again), samples past n masked off, and stores them to
// rows j * 4 + k of the word's tile as lgc_pack_u8 does.
// CHECK: llvm.mlir.global external constant @__lgc_gen_pack_tiled_words(dense<1> : tensor<1xi32>)
// CHECK-LABEL: llvm.func internal @__lgc_gpu_pack_u8_tiled(%arg0: !llvm.ptr, %arg1: i64, %arg2: !llvm.ptr, %arg3: !llvm.ptr<3>, %arg4: i64, %arg5: i64, %arg6: i64)
// CHECK-SAME:    passthrough = ["nounwind", "alwaysinline"]
// CHECK:         %[[ODD:.*]] = llvm.trunc %arg6 : i64 to i1
// CHECK-NEXT:    %[[TWOG:.*]] = llvm.mlir.constant(2 : i64) : i64
// CHECK-NEXT:    %[[WORDS:.*]] = llvm.icmp "ult" %arg6, %[[TWOG]] : i64
// CHECK:         %[[COPY:.*]] = llvm.and %[[WORDS]], %{{.*}} : i1
// CHECK-NEXT:    llvm.cond_br %[[COPY]]
// CHECK:         llvm.ptrtoint %arg0
// CHECK-NEXT:    llvm.mlir.constant(15 : i64) : i64
// CHECK:         %[[FULL:.*]] = llvm.and %{{.*}}, %{{.*}} : i1
// CHECK-NEXT:    llvm.cond_br %[[FULL]]
// CHECK:         %[[MAKE:.*]] = llvm.and %[[WORDS]], %[[ODD]] : i1
// CHECK-NEXT:    llvm.cond_br %[[MAKE]]
// CHECK:         %[[PIECES:.*]] = llvm.mlir.constant(16 : i64) : i64
// CHECK-NEXT:    %[[IN:.*]] = llvm.icmp "ult" %{{.*}}, %[[PIECES]] : i64
// CHECK-NEXT:    llvm.cond_br %[[IN]]
// CHECK:         nvvm.cp.async.shared.global %{{.*}}, %{{.*}}, 16, cache = cg : !llvm.ptr<3>, !llvm.ptr<1>
// CHECK-NOT:     nvvm.cp.async.shared.global
// CHECK:         nvvm.cp.async.commit.group
// CHECK-NEXT:    nvvm.cp.async.wait.group 0
// The checked copy: a byte at a time, B = 256 threads apart.
// CHECK:         %[[STEP:.*]] = llvm.mlir.constant(256 : i64) : i64
// CHECK:         llvm.load %{{.*}} {alignment = 1 : i64} : !llvm.ptr -> i8
// CHECK-NEXT:    llvm.getelementptr %arg3[%{{.*}}] : (!llvm.ptr<3>, i64) -> !llvm.ptr<3>, i8
// CHECK-NEXT:    llvm.store %{{.*}} {alignment = 1 : i64} : i8, !llvm.ptr<3>
// Phase 1: the mask of samples below n, then four features a load.
// CHECK:         %[[ONES:.*]] = llvm.mlir.constant(-1 : i64) : i64
// CHECK-NEXT:    llvm.lshr %[[ONES]], %{{.*}} : i64
// CHECK-NEXT:    %[[MASK:.*]] = llvm.select %{{.*}}, %{{.*}}, %{{.*}} : i1, i64
// CHECK:         %[[L0:.*]] = llvm.load %{{.*}} {alignment = 4 : i64} : !llvm.ptr<3> -> i32
// CHECK-NOT:     invariant
// CHECK:         llvm.getelementptr %{{.*}}[4] : (!llvm.ptr<3>) -> !llvm.ptr<3>, i8
// CHECK-COUNT-8: llvm.and %{{.*}}, %[[MASK]] : i64
// The kernel: a block per word, phase 0, a barrier, phase 1.
// CHECK-LABEL: llvm.func @lgc_pack_u8_tiled(%arg0: !llvm.ptr, %arg1: i64, %arg2: !llvm.ptr, %arg3: i64)
// CHECK-SAME:    nvvm.kernel, nvvm.maxntid = array<i32: 256, 1, 1>
// CHECK:         %[[SHARED:.*]] = llvm.mlir.addressof @__lgc_block_shared : !llvm.ptr<3>
// CHECK-NEXT:    %[[G1:.*]] = llvm.mlir.constant(1 : i64) : i64
// CHECK-NEXT:    %[[BLOCKS:.*]] = llvm.udiv %arg3, %[[G1]] : i64
// CHECK-NEXT:    llvm.icmp "ult" %{{.*}}, %[[BLOCKS]] : i64
// CHECK:         llvm.call @__lgc_gpu_pack_u8_tiled(%arg0, %arg1, %arg2, %[[SHARED]], %{{.*}}, %{{.*}}, %{{.*}})
// CHECK-NEXT:    nvvm.barrier0
// CHECK-NEXT:    llvm.mlir.constant(1 : i64) : i64
// CHECK-NEXT:    llvm.call @__lgc_gpu_pack_u8_tiled(
// CHECK-NEXT:    llvm.br

// Four words a block (pack-tiled-words=4): 256 bytes of pixels, then the
// rows of the four words (8 x 4 x 8 bytes); phases 0 .. 7 for the words,
// phase 8 writes each row's four words as one 32-byte store; the kernel
// runs the nine phases with eight barriers over words / 4 blocks.
// W4: llvm.mlir.global external constant @__lgc_gen_pack_tiled_words(dense<4> : tensor<1xi32>)
// W4-LABEL: llvm.func internal @__lgc_gpu_pack_u8_tiled(
// W4-NEXT:    %[[ROWS:.*]] = llvm.getelementptr %arg3[256] : (!llvm.ptr<3>) -> !llvm.ptr<3>, i8
// W4:         llvm.mlir.constant(8 : i64) : i64
// W4-NEXT:    llvm.icmp "ult" %arg6, %{{.*}} : i64
// W4:         %[[LAST:.*]] = llvm.icmp "eq" %arg6, %{{.*}} : i64
// W4-NEXT:    llvm.cond_br %[[LAST]]
// W4:         llvm.getelementptr %[[ROWS]][%{{.*}}] : (!llvm.ptr<3>, i64) -> !llvm.ptr<3>, i64
// W4-COUNT-4: llvm.insertelement
// W4:         llvm.store %{{.*}} {alignment = 32 : i64} : vector<4xi64>, !llvm.ptr
// W4-LABEL: llvm.func @lgc_pack_u8_tiled(
// W4:         llvm.mlir.constant(4 : i64) : i64
// W4-NEXT:    llvm.udiv %arg3, %{{.*}} : i64
// W4-COUNT-8: nvvm.barrier0
// W4-NOT:     nvvm.barrier0
// W4:         llvm.br
lgn.net @thermometer classes 1 tau 1.0 attributes {features = 4 : i32, levels = array<f32: 0.25, 0.75>} {
^bb0(%a0: i1, %a1: i1, %a2: i1, %a3: i1, %b0: i1, %b1: i1, %b2: i1, %b3: i1):
  %0 = lgn.gate xor %a0, %b2
  %1 = lgn.gate and %a3, %b1
  lgn.output %0, %1
}

// -----

// An explicit encoding has no tiled form: a remark, and lgc_pack_u8 alone.
// expected-remark @+1 {{no lgc_pack_u8_tiled: it thresholds a thermometer encoding, and this net's inputs are explicit bits}}
lgn.net @explicit classes 1 tau 1.0 attributes {features = 2 : i32, bit_features = array<i32: 1, 0>, bit_thresholds = array<f32: 0.25, 0.75>} {
^bb0(%a: i1, %b: i1):
  %0 = lgn.gate xor %a, %b
  lgn.output %0
}
// CHECK-LABEL: llvm.func @lgc_pack_u8(
// CHECK-NOT:   lgc_pack_u8_tiled
// W4-LABEL: llvm.func @lgc_pack_u8(
// W4-NOT:   lgc_pack_u8_tiled
