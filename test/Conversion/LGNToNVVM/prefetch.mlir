// RUN: lgc-opt %s --convert-lgn-to-nvvm="gates-per-function=2 remat-depth=0 prefetch-distance=1" | FileCheck %s
// RUN: lgc-opt %s --convert-lgn-to-nvvm="gates-per-function=2 remat-depth=0 prefetch-distance=1 count-in-code=true" | FileCheck %s --check-prefix=TAIL
// RUN: lgc-opt %s --convert-lgn-to-nvvm="gates-per-function=2 remat-depth=0 prefetch-distance=2 prefetch-level=1 thread-word-bits=32" | FileCheck %s --check-prefix=L1
// RUN: lgc-opt %s --convert-lgn-to-nvvm="gates-per-function=2 remat-depth=0" | FileCheck %s --check-prefix=NONE
// RUN: lgc-opt %s --convert-lgn-to-nvvm="gates-per-function=2 remat-depth=0 prefetch-distance=4 host-mode=true" | FileCheck %s --check-prefix=NONE
// RUN: not lgc-opt %s --convert-lgn-to-nvvm="prefetch-distance=4 prefetch-level=3" 2>&1 | FileCheck %s --check-prefix=LEVEL

// Prefetches in the thread kernel: the row of each load of a gate or count
// function, `distance` loads before it (the first `distance` before the
// first load), as the array's base plus the row's byte offset: 256 bytes a
// row of the input array, through its global-space base; 256 (64-bit
// words) or 128 (32-bit) a scratch row, through the generic base.
// CHECK-LABEL: llvm.func internal @__lgc_gpu_gates_0(%arg0: !llvm.ptr, %arg1: !llvm.ptr)
// CHECK-NEXT:    %[[GIN:.*]] = llvm.addrspacecast %arg0 : !llvm.ptr to !llvm.ptr<1>
// CHECK-NEXT:    %[[A:.*]] = llvm.getelementptr %[[GIN]][0]
// CHECK-NEXT:    llvm.inline_asm has_side_effects "prefetch.global.L2 [$0+0];", "l" %[[GIN]] : (!llvm.ptr<1>) -> ()
// CHECK-NEXT:    llvm.inline_asm has_side_effects "prefetch.global.L2 [$0+256];", "l" %[[GIN]] : (!llvm.ptr<1>) -> ()
// CHECK-NEXT:    llvm.load %[[A]] invariant
// CHECK-NEXT:    %[[B:.*]] = llvm.getelementptr %[[GIN]][32]
// CHECK-NEXT:    llvm.inline_asm has_side_effects "prefetch.global.L2 [$0+512];", "l" %[[GIN]]
// CHECK-NEXT:    llvm.load %[[B]] invariant
// CHECK:         %[[C:.*]] = llvm.getelementptr %[[GIN]][64]
// CHECK-NEXT:    llvm.load %[[C]] invariant
// CHECK-NOT:     llvm.inline_asm
// CHECK:         llvm.return

// The second function reads slots 0 and 1 (the cut values) and input c.
// CHECK-LABEL: llvm.func internal @__lgc_gpu_gates_1(%arg0: !llvm.ptr, %arg1: !llvm.ptr)
// CHECK-NEXT:    %[[GIN1:.*]] = llvm.addrspacecast %arg0
// CHECK-NEXT:    llvm.getelementptr %arg1[0]
// CHECK-NEXT:    llvm.inline_asm has_side_effects "prefetch.L2 [$0+0];", "l" %arg1 : (!llvm.ptr) -> ()
// CHECK-NEXT:    llvm.inline_asm has_side_effects "prefetch.L2 [$0+256];", "l" %arg1
// CHECK-NEXT:    llvm.load
// CHECK-NEXT:    llvm.getelementptr %arg1[32]
// CHECK-NEXT:    llvm.inline_asm has_side_effects "prefetch.global.L2 [$0+512];", "l" %[[GIN1]]
// CHECK-NEXT:    llvm.load

// The count functions' loads of outputs from scratch too (not those of
// the planes they add to).
// CHECK-LABEL: llvm.func internal @__lgc_gpu_count_0(
// CHECK-NEXT:    llvm.addrspacecast
// CHECK-NEXT:    llvm.getelementptr %arg1[64]
// CHECK-NEXT:    llvm.inline_asm has_side_effects "prefetch.L2 [$0+512];", "l" %arg1
// CHECK-NEXT:    llvm.inline_asm has_side_effects "prefetch.L2 [$0+0];", "l" %arg1
// CHECK-NEXT:    llvm.load

// The per-thread function and the kernels prefetch nothing.
// CHECK-LABEL: llvm.func internal @__lgc_gpu_thread(
// CHECK-NOT:     llvm.inline_asm
// CHECK:         llvm.func @lgc_net(

// Counting in code: the count tail is a gate function's kind.
// TAIL-LABEL: llvm.func internal @__lgc_gpu_count_0(%arg0: !llvm.ptr, %arg1: !llvm.ptr)
// TAIL:         llvm.inline_asm has_side_effects "prefetch.L2

// At distance 2, all three loads of the second function are prefetched
// before its first.
// L1-LABEL: llvm.func internal @__lgc_gpu_gates_1(
// L1:         llvm.inline_asm has_side_effects "prefetch.L1 [$0+0];"
// L1-NEXT:    llvm.inline_asm has_side_effects "prefetch.L1 [$0+128];"
// L1-NEXT:    llvm.inline_asm has_side_effects "prefetch.global.L1 [$0+512];"
// L1-NEXT:    llvm.load {{.*}} -> i32
// L1-NEXT:    llvm.getelementptr %arg1[32] : (!llvm.ptr) -> !llvm.ptr, i32
// L1-NEXT:    llvm.load {{.*}} -> i32

// NONE-NOT: prefetch

// LEVEL: prefetch.mlir:[[@LINE+1]]:1: error: prefetch-level must be 1 (L1) or 2 (L2), not 3
lgn.net @net classes 1 tau 1.0 {
^bb0(%a: i1, %b: i1, %c: i1):
  %0 = lgn.gate and %a, %b
  %1 = lgn.gate xor %b, %c
  %2 = lgn.gate or %0, %1
  %3 = lgn.gate not_implies %1, %c
  lgn.output %2, %3
}
