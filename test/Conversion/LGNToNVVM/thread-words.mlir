// RUN: lgc-opt %s --convert-lgn-to-nvvm=thread-word-bits=32 | FileCheck %s
// RUN: lgc-opt %s --convert-lgn-to-nvvm="thread-word-bits=32 host-mode=true" | FileCheck %s --check-prefix=HOST
// RUN: not lgc-opt %s --convert-lgn-to-nvvm=thread-word-bits=16 2>&1 | FileCheck %s --check-prefix=BITS

// The thread kernel in 32-bit words: a thread per 32 samples. Slot 19 of
// the shape table says so (0 for 64-bit words).
// CHECK: llvm.mlir.global external constant @__lgc_gen_shape(dense<[10, 2, 2, 1, 2, 2, 1, 2, 2, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 32]> : tensor<20xi32>)

// Gates on i32 words. The input array keeps its 64-bit words (rows of 256
// bytes: 64 i32 apart); the scratch array is the kernel's own, of 32-bit
// words (rows of 128 bytes: 32 i32 apart).
// CHECK-LABEL: llvm.func internal @__lgc_gpu_gates_0(%arg0: !llvm.ptr, %arg1: !llvm.ptr)
// CHECK-NEXT:    %[[GIN:.*]] = llvm.addrspacecast %arg0 : !llvm.ptr to !llvm.ptr<1>
// CHECK-NEXT:    llvm.getelementptr %[[GIN]][0] : (!llvm.ptr<1>) -> !llvm.ptr<1>, i32
// CHECK-NEXT:    llvm.load {{.*}} invariant {alignment = 4 : i64} : !llvm.ptr<1> -> i32
// CHECK-NEXT:    llvm.getelementptr %[[GIN]][64] : (!llvm.ptr<1>) -> !llvm.ptr<1>, i32
// CHECK-NEXT:    llvm.load {{.*}} : !llvm.ptr<1> -> i32
// CHECK-NEXT:    llvm.and {{.*}} : i32
// CHECK-NEXT:    llvm.getelementptr %arg1[0] : (!llvm.ptr) -> !llvm.ptr, i32
// CHECK-NEXT:    llvm.store {{.*}} {alignment = 4 : i64} : i32, !llvm.ptr
// CHECK-NEXT:    llvm.xor {{.*}} : i32
// CHECK-NEXT:    llvm.getelementptr %arg1[32] : (!llvm.ptr) -> !llvm.ptr, i32
// CHECK-NEXT:    llvm.store {{.*}} : i32, !llvm.ptr
// CHECK-NEXT:    llvm.return

// The planes too are 64-bit words' halves: rows 64 i32 apart.
// CHECK-LABEL: llvm.func internal @__lgc_gpu_count_0(%arg0: !llvm.ptr, %arg1: !llvm.ptr, %arg2: !llvm.ptr)
// CHECK:         llvm.getelementptr %arg2[0] : (!llvm.ptr) -> !llvm.ptr, i32
// CHECK-NEXT:    llvm.store {{.*}} : i32, !llvm.ptr
// CHECK-NEXT:    llvm.getelementptr %arg2[64] : (!llvm.ptr) -> !llvm.ptr, i32
// CHECK-NEXT:    llvm.store {{.*}} : i32, !llvm.ptr

// Thread j is half h = j % 2 of 64-bit word t = j / 2: its element of a
// 64-bit array is i32 number 2 ((t / 32) rows 32 + t % 32) + h; of the
// scratch array (j / 32) slots 32 + j % 32. Its 32 classes from j * 32.
// CHECK-LABEL: llvm.func internal @__lgc_gpu_thread(%arg0: !llvm.ptr, %arg1: !llvm.ptr, %arg2: !llvm.ptr, %arg3: !llvm.ptr, %arg4: i64)
// CHECK:         %[[T:.*]] = llvm.lshr %arg4, %{{.*}} : i64
// CHECK-NEXT:    %[[ONE:.*]] = llvm.mlir.constant(1 : i64) : i64
// CHECK-NEXT:    %[[H:.*]] = llvm.and %arg4, %[[ONE]] : i64
// CHECK:         %[[TILE:.*]] = llvm.udiv %[[T]], %{{.*}} : i64
// CHECK:         %[[LANE:.*]] = llvm.urem %[[T]], %{{.*}} : i64
// CHECK-NEXT:    %[[WORD:.*]] = llvm.add %{{.*}}, %[[LANE]] : i64
// CHECK-NEXT:    %[[TWO:.*]] = llvm.mlir.constant(2 : i64) : i64
// CHECK-NEXT:    %[[W2:.*]] = llvm.mul %[[WORD]], %[[TWO]] : i64
// CHECK-NEXT:    %[[OFF:.*]] = llvm.add %[[W2]], %[[H]] : i64
// CHECK-NEXT:    %[[IN:.*]] = llvm.getelementptr %arg0[%[[OFF]]] : (!llvm.ptr, i64) -> !llvm.ptr, i32
// CHECK:         %[[PLANES:.*]] = llvm.getelementptr %arg2[%{{.*}}] : (!llvm.ptr, i64) -> !llvm.ptr, i32
// CHECK:         %[[STILE:.*]] = llvm.udiv %arg4, %{{.*}} : i64
// CHECK:         %[[SCRATCH:.*]] = llvm.getelementptr %arg1[%{{.*}}] : (!llvm.ptr, i64) -> !llvm.ptr, i32
// CHECK-NEXT:    llvm.call @__lgc_gpu_gates_0(%[[IN]], %[[SCRATCH]])
// CHECK-NEXT:    llvm.call @__lgc_gpu_count_0(%[[IN]], %[[SCRATCH]], %[[PLANES]])
// CHECK:         %[[S32:.*]] = llvm.mlir.constant(32 : i64) : i64
// CHECK-NEXT:    %[[FIRST:.*]] = llvm.mul %arg4, %[[S32]] : i64
// CHECK-COUNT-32: llvm.store {{.*}} : i32, !llvm.ptr
// CHECK-NOT:     llvm.store
// CHECK:         llvm.return

// The packing kernels stay on 64-bit words.
// CHECK-LABEL: llvm.func internal @__lgc_gpu_pack_u8
// CHECK:         llvm.store {{.*}} : i64, !llvm.ptr
// CHECK-LABEL: llvm.func internal @__lgc_gpu_pack_bits
// CHECK:         llvm.store {{.*}} : i64, !llvm.ptr

// lgc_net's last argument is still the 64-bit words: its bounds check is
// twice that many threads.
// CHECK-LABEL: llvm.func @lgc_net(%arg0: !llvm.ptr, %arg1: !llvm.ptr, %arg2: !llvm.ptr, %arg3: !llvm.ptr, %arg4: i64)
// CHECK:         %[[TWICE:.*]] = llvm.mlir.constant(2 : i64) : i64
// CHECK-NEXT:    %[[LIMIT:.*]] = llvm.mul %arg4, %[[TWICE]] : i64
// CHECK-NEXT:    llvm.icmp "ult" %{{.*}}, %[[LIMIT]] : i64
// CHECK:         llvm.call @__lgc_gpu_thread

// HOST: @__lgc_gen_shape(dense<[10, {{.*}}, 32]>
// HOST-LABEL: llvm.func @__lgc_gpu_thread
// HOST-NOT:   nvvm

// BITS: thread-words.mlir:[[@LINE+1]]:1: error: thread-word-bits must be 32 or 64, not 16
lgn.net @net classes 1 tau 1.0 {
^bb0(%a: i1, %b: i1):
  %0 = lgn.gate and %a, %b
  %1 = lgn.gate xor %a, %b
  lgn.output %0, %1
}
