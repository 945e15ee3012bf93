// RUN: lgc-opt %s --split-input-file --convert-lgn-to-nvvm=pack-tiled=true -verify-diagnostics | FileCheck %s

// lgc_pack_u8_tiled for a thermometer encoding (4 features, levels 0.25 and
// 0.75): word `block`'s 64 samples are 256 contiguous bytes of x, 16 pieces
// of 16 bytes. Phase 0 copies them into shared memory, a cp.async each
// (no registers held), threads past the 16 pieces doing nothing, then one
// wait; the last word (or x not 16-byte aligned) goes a byte at a time.
// Phase 1: a thread per four features (one here) makes both levels' words
// from shared memory (32-bit loads of four features, not invariant: the
// next launch writes them again), samples past n masked off, and stores
// them to rows j * 4 + k of the word's tile as lgc_pack_u8 does.
// CHECK-LABEL: llvm.func internal @__lgc_gpu_pack_u8_tiled(%arg0: !llvm.ptr, %arg1: i64, %arg2: !llvm.ptr, %arg3: !llvm.ptr<3>, %arg4: i64, %arg5: i64, %arg6: i64)
// CHECK-SAME:    passthrough = ["nounwind", "alwaysinline"]
// CHECK:         %[[COPY:.*]] = llvm.icmp "eq" %arg6, %{{.*}} : i64
// CHECK-NEXT:    llvm.cond_br %[[COPY]]
// CHECK:         llvm.ptrtoint %arg0
// CHECK-NEXT:    llvm.mlir.constant(15 : i64) : i64
// CHECK:         %[[FULL:.*]] = llvm.and %{{.*}}, %{{.*}} : i1
// CHECK-NEXT:    llvm.cond_br %[[FULL]]
// CHECK:         %[[WORDS:.*]] = llvm.icmp "ne" %arg6, %{{.*}} : i64
// CHECK-NEXT:    llvm.cond_br %[[WORDS]]
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
// CHECK:         llvm.shl %{{.*}}, %{{.*}} : i64
// CHECK:         llvm.sub %{{.*}}, %{{.*}} : i64
// CHECK-NEXT:    %[[MASK:.*]] = llvm.select %{{.*}}, %{{.*}}, %{{.*}} : i1, i64
// CHECK:         %[[L0:.*]] = llvm.load %{{.*}} {alignment = 4 : i64} : !llvm.ptr<3> -> i32
// CHECK-NOT:     invariant
// CHECK:         llvm.getelementptr %{{.*}}[4] : (!llvm.ptr<3>) -> !llvm.ptr<3>, i8
// CHECK-COUNT-8: llvm.and %{{.*}}, %[[MASK]] : i64
// The kernel: a block per word, phase 0, a barrier, phase 1.
// CHECK-LABEL: llvm.func @lgc_pack_u8_tiled(%arg0: !llvm.ptr, %arg1: i64, %arg2: !llvm.ptr, %arg3: i64)
// CHECK-SAME:    nvvm.kernel, nvvm.maxntid = array<i32: 256, 1, 1>
// CHECK:         %[[SHARED:.*]] = llvm.mlir.addressof @__lgc_block_shared : !llvm.ptr<3>
// CHECK:         llvm.icmp "ult" %{{.*}}, %arg3 : i64
// CHECK:         llvm.call @__lgc_gpu_pack_u8_tiled(%arg0, %arg1, %arg2, %[[SHARED]], %{{.*}}, %{{.*}}, %{{.*}})
// CHECK-NEXT:    nvvm.barrier0
// CHECK-NEXT:    llvm.mlir.constant(1 : i64) : i64
// CHECK-NEXT:    llvm.call @__lgc_gpu_pack_u8_tiled(
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
