// RUN: lgc-opt %s --convert-lgn-to-nvvm | FileCheck %s
// RUN: lgc-opt %s --convert-lgn-to-nvvm=host-mode=true | FileCheck %s --check-prefix=HOST
// RUN: lgc-opt %s --convert-lgn-to-nvvm=gates-per-function=1 | FileCheck %s --check-prefix=SPLIT

// Device tables live in the global address space.
// CHECK: llvm.mlir.global external constant @__lgc_gen_shape(dense<[10, 2, 2, 1, 2, 2, 1, 2, 2, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]> : tensor<20xi32>) {addr_space = 1 : i32}
// CHECK: llvm.mlir.global external constant @__lgc_gen_bit_threshold_u8(dense<128> : tensor<2xi32>) {addr_space = 1 : i32}

// Gates on i64 words. The arguments are the thread's tile bases of the input
// and scratch arrays: row k is k * 32 words further (tile-major, a warp per
// tile), a constant offset, no address arithmetic. The inputs are read
// through the global address space as invariant loads (ld.global.nc: no
// kernel writes them while lgc_net runs).
// CHECK-LABEL: llvm.func internal @__lgc_gpu_gates_0(%arg0: !llvm.ptr, %arg1: !llvm.ptr)
// CHECK-NEXT:    %[[GIN:.*]] = llvm.addrspacecast %arg0 : !llvm.ptr to !llvm.ptr<1>
// CHECK-NEXT:    llvm.getelementptr %[[GIN]][0] : (!llvm.ptr<1>) -> !llvm.ptr<1>, i64
// CHECK-NEXT:    llvm.load {{.*}} invariant {alignment = 8 : i64} : !llvm.ptr<1> -> i64
// CHECK-NEXT:    llvm.getelementptr %[[GIN]][32] : (!llvm.ptr<1>) -> !llvm.ptr<1>, i64
// CHECK-NEXT:    llvm.load {{.*}} invariant
// CHECK-NEXT:    llvm.and {{.*}} : i64
// CHECK-NEXT:    llvm.getelementptr %arg1[0] : (!llvm.ptr) -> !llvm.ptr, i64
// CHECK-NEXT:    llvm.store {{.*}} : i64, !llvm.ptr
// CHECK-NEXT:    llvm.xor {{.*}} : i64
// CHECK-NEXT:    llvm.getelementptr %arg1[32] : (!llvm.ptr) -> !llvm.ptr, i64
// CHECK-NEXT:    llvm.store {{.*}} : i64, !llvm.ptr
// CHECK-NEXT:    llvm.return

// GroupSum in functions of output bits: the class count (sum and carry of
// the two outputs) to planes rows 0 and 1.
// CHECK-LABEL: llvm.func internal @__lgc_gpu_count_0(%arg0: !llvm.ptr, %arg1: !llvm.ptr, %arg2: !llvm.ptr)
// CHECK:         %[[SUM:.*]] = llvm.xor
// CHECK-NEXT:    %[[CARRY:.*]] = llvm.and
// CHECK-NEXT:    %[[P0:.*]] = llvm.getelementptr %arg2[0]
// CHECK-NEXT:    llvm.store %[[SUM]], %[[P0]]
// CHECK-NEXT:    %[[P1:.*]] = llvm.getelementptr %arg2[32]
// CHECK-NEXT:    llvm.store %[[CARRY]], %[[P1]]
// CHECK-NEXT:    llvm.return

// The per-thread body: tile bases ((t / 32) * rows * 32 + t % 32; 2 inputs,
// 2 scratch slots, 1 class x 2 planes), gates, counts, argmax from the
// planes, 64 class stores.
// CHECK-LABEL: llvm.func internal @__lgc_gpu_thread(%arg0: !llvm.ptr, %arg1: !llvm.ptr, %arg2: !llvm.ptr, %arg3: !llvm.ptr, %arg4: i64)
// CHECK:         %[[TILE:.*]] = llvm.udiv %arg4, %{{.*}} : i64
// CHECK-NEXT:    %[[LANE:.*]] = llvm.urem %arg4, %{{.*}} : i64
// CHECK-NEXT:    %[[ROWS:.*]] = llvm.mlir.constant(64 : i64) : i64
// CHECK-NEXT:    %[[FIRST:.*]] = llvm.mul %[[TILE]], %[[ROWS]] : i64
// CHECK-NEXT:    %[[OFF:.*]] = llvm.add %[[FIRST]], %[[LANE]] : i64
// CHECK-NEXT:    %[[IN:.*]] = llvm.getelementptr %arg0[%[[OFF]]]
// CHECK:         %[[SCRATCH:.*]] = llvm.getelementptr %arg1[
// CHECK:         %[[PLANES:.*]] = llvm.getelementptr %arg2[
// CHECK:         llvm.call @__lgc_gpu_gates_0(%[[IN]], %[[SCRATCH]])
// CHECK-NEXT:    llvm.call @__lgc_gpu_count_0(%[[IN]], %[[SCRATCH]], %[[PLANES]])
// CHECK:         llvm.getelementptr %[[PLANES]][0]
// CHECK-NEXT:    llvm.load
// CHECK-NEXT:    llvm.getelementptr %[[PLANES]][32]
// CHECK-NEXT:    llvm.load
// CHECK-COUNT-64: llvm.store {{.*}} : i32, !llvm.ptr

// Packing (the identity encoding: one level, packing.mlir has the rest).
// CHECK-LABEL: llvm.func internal @__lgc_gpu_pack_u8
// A whole word's 64 invariant loads through the global address space, the
// last word's loop over its samples one.
// CHECK-COUNT-64: llvm.load {{.*}} invariant {{.*}} : !llvm.ptr<1> -> i8
// CHECK-NOT:     llvm.load {{.*}} : !llvm.ptr<1> -> i8
// CHECK:         llvm.store {{.*}} : i64, !llvm.ptr
// CHECK:         llvm.load {{.*}} : !llvm.ptr -> i8
// CHECK-NOT:     llvm.load {{.*}} -> i8
// Packed bits: invariant loads through the global address space too.
// CHECK-LABEL: llvm.func internal @__lgc_gpu_pack_bits
// CHECK:         llvm.load {{.*}} invariant {{.*}} : !llvm.ptr<1> -> i64
// CHECK:         llvm.lshr
// CHECK:         llvm.store

// The kernels: global thread id, bounds check, call.
// CHECK-LABEL: llvm.func @lgc_pack_u8(%arg0: !llvm.ptr, %arg1: i64, %arg2: !llvm.ptr, %arg3: i64)
// CHECK-SAME:    nvvm.kernel
// CHECK:         nvvm.read.ptx.sreg.tid.x : i32
// CHECK:         nvvm.read.ptx.sreg.ctaid.x : i32
// CHECK:         nvvm.read.ptx.sreg.ntid.x : i32
// CHECK:         llvm.cond_br
// CHECK:         llvm.call @__lgc_gpu_pack_u8
// CHECK-LABEL: llvm.func @lgc_pack_bits(%arg0: !llvm.ptr, %arg1: i64, %arg2: !llvm.ptr, %arg3: i64)
// CHECK-SAME:    nvvm.kernel
// CHECK:         llvm.call @__lgc_gpu_pack_bits
// CHECK-LABEL: llvm.func @lgc_net(%arg0: !llvm.ptr, %arg1: !llvm.ptr, %arg2: !llvm.ptr, %arg3: !llvm.ptr, %arg4: i64)
// CHECK-SAME:    nvvm.kernel
// CHECK:         llvm.call @__lgc_gpu_thread

// One output bit per count function: the second adds its bit to the count
// the first stored (plane j enters column j).
// SPLIT-LABEL: llvm.func internal @__lgc_gpu_count_0(
// SPLIT-NOT:     llvm.func
// SPLIT:         llvm.store
// SPLIT-LABEL: llvm.func internal @__lgc_gpu_count_1(%arg0: !llvm.ptr, %arg1: !llvm.ptr, %arg2: !llvm.ptr)
// SPLIT-NEXT:    llvm.addrspacecast %arg0
// SPLIT-NEXT:    llvm.getelementptr %arg2[0]
// SPLIT-NEXT:    %[[C0:.*]] = llvm.load
// SPLIT-NEXT:    llvm.getelementptr %arg2[32]
// SPLIT-NEXT:    %[[C1:.*]] = llvm.load
// SPLIT-NEXT:    llvm.getelementptr %arg1[32]
// SPLIT-NEXT:    %[[BIT:.*]] = llvm.load
// SPLIT:         llvm.xor %[[C0]], %[[BIT]]
// SPLIT-LABEL: llvm.func internal @__lgc_gpu_thread
// SPLIT:         llvm.call @__lgc_gpu_count_0
// SPLIT-NEXT:    llvm.call @__lgc_gpu_count_1

// In host mode the per-thread functions are exported and there are no
// kernels; the inputs are plain loads.
// HOST-LABEL: llvm.func internal @__lgc_gpu_gates_0(%arg0: !llvm.ptr, %arg1: !llvm.ptr)
// HOST-NEXT:    llvm.getelementptr %arg0[0] : (!llvm.ptr) -> !llvm.ptr, i64
// HOST-NEXT:    llvm.load {{.*}} {alignment = 8 : i64} : !llvm.ptr -> i64
// HOST-LABEL: llvm.func @__lgc_gpu_thread
// HOST-LABEL: llvm.func @__lgc_gpu_pack_u8
// HOST-LABEL: llvm.func @__lgc_gpu_pack_bits
// HOST-NOT:   nvvm
lgn.net @net classes 1 tau 1.0 {
^bb0(%a: i1, %b: i1):
  %0 = lgn.gate and %a, %b
  %1 = lgn.gate xor %a, %b
  lgn.output %0, %1
}
