// RUN: lgc-opt %s --convert-lgn-to-nvvm="block-kernel=true block-threads=64 block-table-shared=true" | FileCheck %s
// RUN: lgc-opt %s --convert-lgn-to-nvvm="block-kernel=true block-threads=64 block-table-shared=true host-mode=true" | FileCheck %s --check-prefix=HOST
// RUN: lgc-opt %s --convert-lgn-to-nvvm="block-kernel=true block-threads=64" | FileCheck %s --check-prefix=GLOBAL
// RUN: lgc-opt %s --convert-lgn-to-nvvm="block-kernel=true block-threads=64 block-table-shared=true both-kernels=true" | FileCheck %s --check-prefix=GLOBAL
// RUN: lgc-opt %s --convert-lgn-to-nvvm="block-kernel=true block-threads=64 block-words=1 block-table-shared=true block-shared-limit=1024" 2>&1 | FileCheck %s --check-prefix=FIT
// RUN: lgc-opt %s --convert-lgn-to-nvvm="block-kernel=true block-threads=64 block-table-shared=true block-u8-prefetch=true" | FileCheck %s --check-prefix=PF
// RUN: lgc-opt %s --convert-lgn-to-nvvm="block-kernel=true block-threads=64 block-table-shared=true block-rows-prefetch=true" | FileCheck %s --check-prefix=ROWS
// RUN: lgc-opt %s --convert-lgn-to-nvvm="block-kernel=true block-threads=64 block-table-shared=true block-rows-prefetch=true host-mode=true" | FileCheck %s --check-prefix=ROWSHOST

// The block kernel with its gate table in shared memory
// (block-table-shared). Eight words of 10 slots (640 bytes), then the
// table: its three gates, a round's padding past them (U = 2 entries a
// thread, so 64 entries) and one more zero entry for whole 16-byte copies,
// 68 entries, 544 bytes; 1,184 bytes of shared memory a block.
// CHECK: @__lgc_gen_shape(dense<[10, 3, 3, 2, 4, 3, 1, 2, 0, 1, 8, 64, 1184, 5,
// CHECK: @__lgc_gen_block_gates({{.*}} : tensor<68xi64>) {addr_space = 1 : i32, alignment = 16 : i64}
// The runtime's sign that the blocks loop over the grid.
// CHECK: @__lgc_gen_block_grid_stride(dense<1> : tensor<1xi32>)
// A level's entries are loads from shared memory after the values (byte
// 640), not invariant: the block wrote them.
// CHECK-LABEL: llvm.func internal @__lgc_gpu_block_phase(
// CHECK:       %[[OFF:.*]] = llvm.mlir.constant(640 : i64) : i64
// CHECK-NEXT:  %[[TABLE:.*]] = llvm.getelementptr %{{.*}}[%[[OFF]]] : (!llvm.ptr<3>, i64) -> !llvm.ptr<3>, i8
// CHECK:       %[[ROUND:.*]] = llvm.getelementptr %[[TABLE]][%{{.*}}] : (!llvm.ptr<3>, i64) -> !llvm.ptr<3>, i64
// CHECK:       %[[E0:.*]] = llvm.getelementptr %[[ROUND]][%{{.*}}] : (!llvm.ptr<3>, i64) -> !llvm.ptr<3>, i64
// CHECK-NEXT:  llvm.load %[[E0]] {alignment = 8 : i64} : !llvm.ptr<3> -> i64
// The copy: 34 copies of 16 bytes, thread tid taking tid, tid + 64, ...
// CHECK-LABEL: llvm.func internal @__lgc_gpu_block_table(%arg0: !llvm.ptr<3>, %arg1: i64) attributes {passthrough = ["nounwind", "alwaysinline"]}
// CHECK:       %[[GATES:.*]] = llvm.mlir.addressof @__lgc_gen_block_gates : !llvm.ptr<1>
// CHECK:       %[[TO:.*]] = llvm.getelementptr %arg0[%{{.*}}] : (!llvm.ptr<3>, i64) -> !llvm.ptr<3>, i8
// CHECK:       llvm.mlir.constant(34 : i64) : i64
// CHECK:       llvm.mlir.constant(64 : i64) : i64
// CHECK:       llvm.load %{{.*}} invariant {alignment = 16 : i64} : !llvm.ptr<1> -> vector<2xi64>
// CHECK:       llvm.store %{{.*}}, %{{.*}} {alignment = 16 : i64} : vector<2xi64>, !llvm.ptr<3>
// The kernel: the copy and a barrier once, then blocks ctaid, ctaid +
// nctaid, ... below (words + 7) / 8, each one's phases with a barrier
// after each.
// CHECK-LABEL: llvm.func @lgc_net(
// CHECK:       %[[CTA:.*]] = nvvm.read.ptx.sreg.ctaid.x : i32
// CHECK-NEXT:  %[[BID:.*]] = llvm.zext %[[CTA]] : i32 to i64
// CHECK:       llvm.call @__lgc_gpu_block_table(
// CHECK-NEXT:  nvvm.barrier0
// CHECK-NEXT:  %[[NCT:.*]] = nvvm.read.ptx.sreg.nctaid.x : i32
// CHECK-NEXT:  %[[GRID:.*]] = llvm.zext %[[NCT]] : i32 to i64
// CHECK:       %[[BLOCKS:.*]] = llvm.udiv
// CHECK-NEXT:  llvm.br ^bb1(%[[BID]] : i64)
// CHECK:       ^bb1(%[[BLK:.*]]: i64):
// CHECK-NEXT:  llvm.icmp "slt" %[[BLK]], %[[BLOCKS]] : i64
// CHECK:       llvm.call @__lgc_gpu_block_phase(%arg0, %arg1, %arg2, %arg3, %{{.*}}, %[[BLK]],
// CHECK-NEXT:  nvvm.barrier0
// CHECK:       llvm.add %[[BLK]], %[[GRID]] : i64
// The u8 form copies and loops alike.
// CHECK-LABEL: llvm.func @lgc_net_u8(
// CHECK:       llvm.call @__lgc_gpu_block_table(
// CHECK-NEXT:  nvvm.barrier0
// CHECK-NEXT:  nvvm.read.ptx.sreg.nctaid.x

// With the u8 form's prefetch: the pixels of the block this one takes
// next, nctaid on, not the runtime-written global's count.
// PF-LABEL: llvm.func @lgc_net_u8(
// PF:       %[[NCT:.*]] = nvvm.read.ptx.sreg.nctaid.x : i32
// PF-NEXT:  %[[GRID:.*]] = llvm.zext %[[NCT]] : i32 to i64
// PF:       ^bb1(%[[BLK:.*]]: i64):
// PF:       llvm.call @__lgc_gpu_block_inputs_u8(%arg0, %arg1, %arg2, %{{.*}}, %[[BLK]],
// PF-NEXT:  nvvm.barrier0
// PF-NEXT:  llvm.call @__lgc_gpu_block_prefetch_u8(%arg0, %arg1, %[[BLK]], %{{.*}}, %[[GRID]])

// With the packed rows' prefetch (block-rows-prefetch): the rows of the
// next block (bid + nctaid) after phase 0's barrier, one line a row read
// (the inputs' table), into the L2; the other phases after it; the u8
// form, whose phase 0 reads pixels, does not call it.
// ROWS-LABEL: llvm.func internal @__lgc_gpu_block_prefetch_rows(%arg0: !llvm.ptr, %arg1: i64, %arg2: i64, %arg3: i64) attributes {passthrough = ["nounwind", "alwaysinline"]}
// ROWS:       llvm.icmp "ult" %{{.*}}, %arg1 : i64
// ROWS:       llvm.mlir.addressof @__lgc_gen_block_inputs
// ROWS:       llvm.inline_asm has_side_effects "prefetch.global.L2 [$0];", "l"
// ROWS-LABEL: llvm.func @lgc_net(
// ROWS:       %[[NCT:.*]] = nvvm.read.ptx.sreg.nctaid.x : i32
// ROWS-NEXT:  %[[GRID:.*]] = llvm.zext %[[NCT]] : i32 to i64
// ROWS:       ^bb1(%[[BLK:.*]]: i64):
// ROWS:       %[[ZERO:.*]] = llvm.mlir.constant(0 : i64) : i64
// ROWS-NEXT:  llvm.call @__lgc_gpu_block_phase(%arg0, %arg1, %arg2, %arg3, %{{.*}}, %[[BLK]], %{{.*}}, %[[ZERO]])
// ROWS-NEXT:  nvvm.barrier0
// ROWS-NEXT:  %[[NEXT:.*]] = llvm.add %[[BLK]], %[[GRID]] : i64
// ROWS-NEXT:  llvm.call @__lgc_gpu_block_prefetch_rows(%arg0, %arg4, %[[NEXT]], %{{.*}})
// ROWS-NEXT:  %[[ONE:.*]] = llvm.mlir.constant(1 : i64) : i64
// ROWS-LABEL: llvm.func @lgc_net_u8(
// ROWS-NOT:   __lgc_gpu_block_prefetch_rows
// In host mode the prefetch calls its last argument with each row's address.
// ROWSHOST: llvm.func @__lgc_gpu_block_prefetch_rows(%arg0: !llvm.ptr, %arg1: i64, %arg2: i64, %arg3: i64, %arg4: !llvm.ptr)
// ROWSHOST: llvm.call %arg4(%{{.*}}) : !llvm.ptr, (!llvm.ptr) -> ()

// Host mode exports the copy, which the tests run for every thread of a
// block before its first phase.
// HOST: @__lgc_gen_block_grid_stride(
// HOST: llvm.func @__lgc_gpu_block_table(%arg0: !llvm.ptr, %arg1: i64)

// The table in global memory (the default, and beside the thread kernel,
// where the block kernel runs small launches): no copy, no loop.
// GLOBAL-NOT: __lgc_gen_block_grid_stride
// GLOBAL-NOT: __lgc_gpu_block_table
// GLOBAL-NOT: nctaid

// Where the table and the values do not fit the limit together, the table
// stays in global memory, said in a remark.
// FIT: remark: the gate table stays in global memory: its 1568 bytes and the values' 80 exceed the 1024 bytes of shared memory a block
// FIT-NOT: __lgc_gen_block_grid_stride
// FIT-NOT: __lgc_gpu_block_table

lgn.net @net classes 2 tau 1.0 {
^bb0(%a: i1, %b: i1, %c: i1):
  %0 = lgn.gate and %a, %b
  %1 = lgn.gate xor %b, %c
  %2 = lgn.gate or %0, %1
  lgn.output %2, %a, %1, %0
}
