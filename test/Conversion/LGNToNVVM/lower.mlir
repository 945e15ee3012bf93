// RUN: lgc-opt %s --convert-lgn-to-nvvm | FileCheck %s
// RUN: lgc-opt %s --convert-lgn-to-nvvm=host-mode=true | FileCheck %s --check-prefix=HOST

// Device tables live in the global address space.
// CHECK: llvm.mlir.global external constant @__lgc_gen_shape(dense<[2, 2, 2, 1, 2, 2, 1, 2, 2, 1]> : tensor<10xi32>) {addr_space = 1 : i32}
// CHECK: llvm.mlir.global external constant @__lgc_gen_bit_threshold_u8(dense<128> : tensor<2xi32>) {addr_space = 1 : i32}

// Gates on i64 words; operands at in[i * words + t], coalesced across threads.
// CHECK-LABEL: llvm.func internal @__lgc_gpu_gates_0(%arg0: !llvm.ptr, %arg1: !llvm.ptr, %arg2: i64, %arg3: i64)
// CHECK:         %[[I:.*]] = llvm.mul {{.*}}, %arg2 : i64
// CHECK-NEXT:    %[[OFF:.*]] = llvm.add %[[I]], %arg3 : i64
// CHECK-NEXT:    llvm.getelementptr %arg0[%[[OFF]]] : (!llvm.ptr, i64) -> !llvm.ptr, i64
// CHECK:         llvm.and {{.*}} : i64
// CHECK:         llvm.xor {{.*}} : i64
// CHECK:         llvm.store {{.*}} : i64, !llvm.ptr

// The per-thread body: gates, counters, argmax, 64 class stores.
// CHECK-LABEL: llvm.func internal @__lgc_gpu_thread
// CHECK:         llvm.call @__lgc_gpu_gates_0
// CHECK-COUNT-64: llvm.store {{.*}} : i32, !llvm.ptr

// The kernels: global thread id, bounds check, call.
// CHECK-LABEL: llvm.func @lgc_pack_u8(%arg0: !llvm.ptr, %arg1: i64, %arg2: !llvm.ptr, %arg3: i64)
// CHECK-SAME:    nvvm.kernel
// CHECK:         nvvm.read.ptx.sreg.tid.x : i32
// CHECK:         nvvm.read.ptx.sreg.ctaid.x : i32
// CHECK:         nvvm.read.ptx.sreg.ntid.x : i32
// CHECK:         llvm.cond_br
// CHECK:         llvm.call @__lgc_gpu_pack_u8
// CHECK-LABEL: llvm.func @lgc_net(%arg0: !llvm.ptr, %arg1: !llvm.ptr, %arg2: !llvm.ptr, %arg3: !llvm.ptr, %arg4: i64)
// CHECK-SAME:    nvvm.kernel
// CHECK:         llvm.call @__lgc_gpu_thread

// In host mode the per-thread functions are exported and there are no kernels.
// HOST-LABEL: llvm.func @__lgc_gpu_thread
// HOST-LABEL: llvm.func @__lgc_gpu_pack_u8
// HOST-NOT:   nvvm
lgn.net @net classes 1 tau 1.0 {
^bb0(%a: i1, %b: i1):
  %0 = lgn.gate and %a, %b
  %1 = lgn.gate xor %a, %b
  lgn.output %0, %1
}
