// RUN: lgc-opt %s --split-input-file --convert-lgn-to-nvvm=count-in-code=true | FileCheck %s
// RUN: lgc-opt %s --split-input-file --convert-lgn-to-nvvm="count-in-code=true lop3-adders=false" | FileCheck %s --check-prefix=ANDOR
// RUN: lgc-opt %s --split-input-file --convert-lgn-to-nvvm="count-in-code=true count-register-columns=1 lop3-adders=false" | FileCheck %s --check-prefix=COLUMNS
// RUN: lgc-opt %s --split-input-file --convert-lgn-to-nvvm="count-in-code=true thread-word-bits=32" | FileCheck %s --check-prefix=HALF
// RUN: not lgc-opt %s --split-input-file --convert-lgn-to-nvvm="count-in-code=true count-register-columns=0" 2>&1 | FileCheck %s --check-prefix=ZERO
// RUN: lgc-opt %s --split-input-file --convert-lgn-to-nvvm="count-in-code=true block-kernel=true both-kernels=true" | FileCheck %s --check-prefix=BOTH

// The thread kernel counting in its gate functions: two classes of three
// outputs (two planes each); no slot holds a cut value, so the counter's
// state is slots 0-3 (two bits of each column) and the planes slots 4-7.
// Shape slot 15 (kCountPlanes) says so.
// CHECK: llvm.mlir.global external constant @__lgc_gen_shape(dense<[10, 3, 3, 2, 6, 5, 1, 2, 8, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0]>

// The outputs are read from their registers as the gates make them, never
// stored: the only stores are class 0's planes (slots 4 and 5, when class
// 1's first output arrives) and class 1's open counter (column 0 in slot
// 0, column 1 in slot 2) for the count function.
// CHECK-LABEL: llvm.func internal @__lgc_gpu_gates_0(%arg0: !llvm.ptr, %arg1: !llvm.ptr)
// CHECK-NOT:     llvm.load {{.*}} : !llvm.ptr -> i64
// CHECK:         %[[AND:.*]] = llvm.and %{{.*}}, %{{.*}} : i64
// CHECK:         %[[OR:.*]] = llvm.or %[[AND]], %{{.*}} : i64
// A full adder of the first three outputs: sum to plane 0, carry to plane 1,
// each a lop3 a 32-bit half (the majority 0xe8 = 232, the xor 0x96 = 150).
// CHECK:         %[[CARRY:.*]] = llvm.inline_asm "{{.*}}lop3.b32 dl, pl, ql, rl, 232;{{.*}}lop3.b32 dh, ph, qh, rh, 232;{{.*}}", "=l,l,l,l" %[[AND]], %[[OR]], %{{.*}} : (i64, i64, i64) -> i64
// CHECK-NEXT:    %[[SUM:.*]] = llvm.inline_asm "{{.*}}lop3.b32 dl, pl, ql, rl, 150;{{.*}}", "=l,l,l,l" %[[AND]], %[[OR]], %{{.*}} : (i64, i64, i64) -> i64
// With lop3-adders=false, the earlier ANDs, ORs and XORs.
// ANDOR-LABEL: llvm.func internal @__lgc_gpu_gates_0(
// ANDOR:         %[[AND:.*]] = llvm.and %{{.*}}, %{{.*}} : i64
// ANDOR:         %[[OR:.*]] = llvm.or %[[AND]], %{{.*}} : i64
// ANDOR:         %[[A1:.*]] = llvm.and %[[AND]], %[[OR]]
// ANDOR-NEXT:    %[[O1:.*]] = llvm.or %[[AND]], %[[OR]]
// ANDOR-NEXT:    %[[A2:.*]] = llvm.and %{{.*}}, %[[O1]]
// ANDOR-NEXT:    %[[CARRY:.*]] = llvm.or %[[A1]], %[[A2]]
// ANDOR-NEXT:    %[[X1:.*]] = llvm.xor %[[AND]], %[[OR]]
// ANDOR-NEXT:    %[[SUM:.*]] = llvm.xor %[[X1]], %{{.*}}
// ANDOR-NOT:     llvm.inline_asm
// ANDOR:         llvm.return
// CHECK:         %[[P0:.*]] = llvm.getelementptr %arg1[128]
// CHECK-NEXT:    llvm.store %[[SUM]], %[[P0]]
// CHECK-NEXT:    %[[P1:.*]] = llvm.getelementptr %arg1[160]
// CHECK-NEXT:    llvm.store %[[CARRY]], %[[P1]]
// CHECK-NOT:     llvm.load {{.*}} : !llvm.ptr -> i64
// CHECK:         llvm.getelementptr %arg1[0]
// CHECK-NEXT:    llvm.store
// CHECK-NEXT:    llvm.getelementptr %arg1[64]
// CHECK-NEXT:    llvm.store
// CHECK-NEXT:    llvm.return

// The count function finishes class 1 from the saved counter.
// CHECK-LABEL: llvm.func internal @__lgc_gpu_count_0(%arg0: !llvm.ptr, %arg1: !llvm.ptr)
// CHECK:         llvm.getelementptr %arg1[0]
// CHECK-NEXT:    llvm.load
// CHECK-NEXT:    llvm.getelementptr %arg1[64]
// CHECK-NEXT:    llvm.load
// CHECK:         llvm.getelementptr %arg1[192]
// CHECK-NEXT:    llvm.store
// CHECK-NEXT:    llvm.getelementptr %arg1[224]
// CHECK-NEXT:    llvm.store
// CHECK-NEXT:    llvm.return
// CHECK-NOT:     @__lgc_gpu_count_1

// The thread: gates, the count function, then each plane from its slot into
// the planes array as the argmax reads it.
// CHECK-LABEL: llvm.func internal @__lgc_gpu_thread(%arg0: !llvm.ptr, %arg1: !llvm.ptr, %arg2: !llvm.ptr, %arg3: !llvm.ptr, %arg4: i64)
// CHECK:         %[[SCRATCH:.*]] = llvm.getelementptr %arg1[
// CHECK:         %[[PLANES:.*]] = llvm.getelementptr %arg2[
// CHECK:         llvm.call @__lgc_gpu_gates_0(%[[IN:.*]], %[[SCRATCH]])
// CHECK-NEXT:    llvm.call @__lgc_gpu_count_0(%[[IN]], %[[SCRATCH]]) : (!llvm.ptr, !llvm.ptr) -> ()
// CHECK:         llvm.getelementptr %[[SCRATCH]][128]
// CHECK-NEXT:    %[[C0P0:.*]] = llvm.load
// CHECK-NEXT:    %[[R0:.*]] = llvm.getelementptr %[[PLANES]][0]
// CHECK-NEXT:    llvm.store %[[C0P0]], %[[R0]]
// CHECK-NEXT:    llvm.getelementptr %[[SCRATCH]][160]
// CHECK-NEXT:    llvm.load
// CHECK-NEXT:    llvm.getelementptr %[[PLANES]][32]
// CHECK-NEXT:    llvm.store
// CHECK-NEXT:    llvm.getelementptr %[[SCRATCH]][192]
// CHECK:         llvm.getelementptr %[[PLANES]][96]
// CHECK-NEXT:    llvm.store
// CHECK-COUNT-64: llvm.store {{.*}} : i32, !llvm.ptr

// In 32-bit words the counter and planes are i32 values, the planes array
// still rows of 64-bit words read as halves.
// HALF-LABEL: llvm.func internal @__lgc_gpu_gates_0(
// HALF:         llvm.store {{.*}} : i32, !llvm.ptr
// HALF-LABEL: llvm.func internal @__lgc_gpu_count_0(%arg0: !llvm.ptr, %arg1: !llvm.ptr)
// HALF-LABEL: llvm.func internal @__lgc_gpu_thread(
// HALF:         llvm.call @__lgc_gpu_count_0
// HALF:         llvm.getelementptr {{.*}}[128] : (!llvm.ptr) -> !llvm.ptr, i32
// HALF-NEXT:    %[[P:.*]] = llvm.load {{.*}} -> i32
// HALF-NEXT:    llvm.getelementptr {{.*}}[0] : (!llvm.ptr) -> !llvm.ptr, i32
// HALF-NEXT:    llvm.store %[[P]], {{.*}} : i32, !llvm.ptr

// ZERO: error: count-register-columns must be at least 1

// Beside the block kernel, the thread kernel counts in code and its shape
// says so; the block kernel's own shape table does not (slot 15 is 0).
// BOTH: llvm.mlir.global external constant @__lgc_gen_shape(dense<[10, 3, 3, 2, 6, 5, 1, 2, 8, 1, 0, 0, 0, 0, 1, 1,
// BOTH-LABEL: llvm.func internal @__lgc_gpu_count_0(%arg0: !llvm.ptr, %arg1: !llvm.ptr)
// BOTH: llvm.mlir.global external constant @__lgc_gen_block_shape(dense<[10, 3, 3, 2, 6, 5, 1, 2, 0, 1, {{[0-9]+}}, {{[0-9]+}}, {{[0-9]+}}, {{[0-9]+}}, 1, 0,

lgn.net @net classes 2 tau 1.0 {
^bb0(%a: i1, %b: i1, %c: i1):
  %0 = lgn.gate and %a, %b
  %1 = lgn.gate xor %a, %c
  %2 = lgn.gate or %0, %1
  %3 = lgn.gate xor %2, %c
  %4 = lgn.gate not_and %1, %3
  lgn.output %0, %2, %3, %4, %1, %a
}

// -----

// Eight outputs of one class with only column 0 in registers: the carries
// into column 1 go to its slots (2 and 3: no cut values), and the third
// makes a full adder of the two stored bits and itself, its sum back to
// slot 2 and its carry to column 2's first slot (4).
// COLUMNS: @__lgc_gen_shape(dense<[10, 4,
// COLUMNS:       llvm.func internal @__lgc_gpu_gates_0(
// COLUMNS:         %[[S2:.*]] = llvm.getelementptr %arg1[64]
// COLUMNS-NEXT:    llvm.store %{{.*}}, %[[S2]]
// COLUMNS:         %[[S3:.*]] = llvm.getelementptr %arg1[96]
// COLUMNS-NEXT:    llvm.store %{{.*}}, %[[S3]]
// COLUMNS:         llvm.getelementptr %arg1[64]
// COLUMNS-NEXT:    %[[B0:.*]] = llvm.load
// COLUMNS-NEXT:    llvm.getelementptr %arg1[96]
// COLUMNS-NEXT:    %[[B1:.*]] = llvm.load
// COLUMNS-NEXT:    %[[AND:.*]] = llvm.and %[[B0]], %[[B1]]
// COLUMNS-NEXT:    %[[OR:.*]] = llvm.or %[[B0]], %[[B1]]
// COLUMNS-NEXT:    %[[AND2:.*]] = llvm.and %[[C3:.*]], %[[OR]]
// COLUMNS-NEXT:    %[[CARRY:.*]] = llvm.or %[[AND]], %[[AND2]]
// COLUMNS-NEXT:    %[[X:.*]] = llvm.xor %[[B0]], %[[B1]]
// COLUMNS-NEXT:    %[[SUM:.*]] = llvm.xor %[[X]], %[[C3]]
// COLUMNS-NEXT:    %[[T2:.*]] = llvm.getelementptr %arg1[64]
// COLUMNS-NEXT:    llvm.store %[[SUM]], %[[T2]]
// COLUMNS-NEXT:    %[[T4:.*]] = llvm.getelementptr %arg1[128]
// COLUMNS-NEXT:    llvm.store %[[CARRY]], %[[T4]]
// The class's planes are made after the gates, from column 0 in its
// register (saved to slot 0 for the count function) and the others' slots.
// COLUMNS:         llvm.getelementptr %arg1[0]
// COLUMNS-NEXT:    llvm.store
// COLUMNS:       llvm.func internal @__lgc_gpu_count_0(
// COLUMNS:         llvm.getelementptr %arg1[0]
// COLUMNS-NEXT:    llvm.load
// COLUMNS:         llvm.getelementptr %arg1[64]
// COLUMNS-NEXT:    llvm.load
// COLUMNS:         llvm.getelementptr %arg1[128]
// COLUMNS-NEXT:    llvm.load

lgn.net @net classes 1 tau 1.0 {
^bb0(%a: i1, %b: i1, %c: i1, %d: i1):
  %0 = lgn.gate and %a, %b
  %1 = lgn.gate xor %a, %c
  %2 = lgn.gate or %b, %d
  %3 = lgn.gate xor %c, %d
  %4 = lgn.gate not_and %a, %d
  %5 = lgn.gate not_or %b, %c
  %6 = lgn.gate implies %a, %c
  %7 = lgn.gate not_xor %b, %d
  lgn.output %0, %1, %2, %3, %4, %5, %6, %7
}
