// RUN: lgc-opt %s --split-input-file --convert-lgn-to-nvvm="block-kernel=true block-words=1" | FileCheck %s
// RUN: lgc-opt %s --split-input-file --convert-lgn-to-nvvm="block-kernel=true block-words=1 block-u8=false" | FileCheck %s --check-prefix=OFF
// RUN: lgc-opt %s --split-input-file --convert-lgn-to-nvvm="block-kernel=true block-words=1 host-mode=true" | FileCheck %s --check-prefix=HOST
// RUN: lgc-opt %s --split-input-file --convert-lgn-to-nvvm="block-kernel=true both-kernels=true" | FileCheck %s --check-prefix=BOTH

// The block kernel from 8-bit features (lgc_net_u8). Eight features at two
// levels (0.25 and 0.75: 8-bit thresholds 64 and 192), of which the net
// reads inputs 0 (a0), 5 (a5), 10 (b2) and 15 (b7): the slot of each input
// bit, -1 for the others. Input i takes slot i + 2 (the slots of the
// inputs not read are free for the first level), so that the slots' banks
// follow the inputs' order.
// CHECK: @__lgc_gen_block_input_slots(dense<[2, -1, -1, -1, -1, 7, -1, -1, -1, -1, 12, -1, -1, -1, -1, 17]> : tensor<16xi32>)
// Phase 0 from the pixels: the constants by thread 0, then items of four
// features (2 of them: 8 features, one word a block) over the threads.
// CHECK-LABEL: llvm.func internal @__lgc_gpu_block_inputs_u8(%arg0: !llvm.ptr, %arg1: i64, %arg2: !llvm.ptr, %arg3: !llvm.ptr<3>, %arg4: i64, %arg5: i64) attributes {passthrough = ["nounwind", "alwaysinline"]}
// CHECK:       llvm.icmp "eq" %arg5
// CHECK:       llvm.mlir.addressof @__lgc_gen_block_input_slots
// CHECK:       %[[ITEMS:.*]] = llvm.mlir.constant(2 : i64) : i64
// CHECK:       ^bb3(%[[ITEM:.*]]: i64):
// CHECK-NEXT:    llvm.icmp "slt" %[[ITEM]], %[[ITEMS]] : i64
// A whole word from a 4-byte aligned x: 64 loads of four features each,
// through the global address space, invariant (ld.global.nc).
// CHECK:         llvm.icmp "ule" %{{.*}}, %arg1 : i64
// CHECK:         llvm.ptrtoint %arg0
// CHECK:         %[[FULL:.*]] = llvm.and %{{.*}}, %{{.*}} : i1
// CHECK-NEXT:    llvm.cond_br %[[FULL]]
// CHECK:         llvm.addrspacecast %arg0 : !llvm.ptr to !llvm.ptr<1>
// Bytes 0 and 2 (mask 0x00ff00ff) and 1 and 3 (shifted by 8) plus 256 - t
// in each 16-bit lane (level 0.25: 192 x 0x10001; level 0.75: 64 x
// 0x10001): bit 8 of a lane is whether its byte is at least t. Sample 0's
// bits go to bits 0 and 16 (shifted right by 8, mask 0x10001) of a
// register of 16 samples.
// CHECK:         %[[X:.*]] = llvm.load %{{.*}} invariant {alignment = 4 : i64} : !llvm.ptr<1> -> i32
// CHECK-NEXT:    %[[M:.*]] = llvm.mlir.constant(16711935 : i32) : i32
// CHECK-NEXT:    %[[EVEN:.*]] = llvm.and %[[X]], %[[M]] : i32
// CHECK-NEXT:    %[[EIGHT:.*]] = llvm.mlir.constant(8 : i32) : i32
// CHECK-NEXT:    %[[SHIFTED:.*]] = llvm.lshr %[[X]], %[[EIGHT]] : i32
// CHECK-NEXT:    %[[M2:.*]] = llvm.mlir.constant(16711935 : i32) : i32
// CHECK-NEXT:    %[[ODD:.*]] = llvm.and %[[SHIFTED]], %[[M2]] : i32
// CHECK-NEXT:    %[[LOW:.*]] = llvm.mlir.constant(12583104 : i32) : i32
// CHECK-NEXT:    %[[SUM:.*]] = llvm.add %[[EVEN]], %[[LOW]] : i32
// CHECK-NEXT:    %[[BY:.*]] = llvm.mlir.constant(8 : i32) : i32
// CHECK-NEXT:    %[[AT:.*]] = llvm.lshr %[[SUM]], %[[BY]] : i32
// CHECK-NEXT:    %[[MASK:.*]] = llvm.mlir.constant(65537 : i32) : i32
// CHECK-NEXT:    llvm.and %[[AT]], %[[MASK]] : i32
// CHECK:         %[[LOW2:.*]] = llvm.mlir.constant(12583104 : i32) : i32
// CHECK-NEXT:    llvm.add %[[ODD]], %[[LOW2]] : i32
// CHECK:         llvm.mlir.constant(4194368 : i32) : i32
// CHECK-COUNT-63: llvm.load {{.*}} invariant {alignment = 4 : i64} : !llvm.ptr<1> -> i32
// CHECK-NOT:     llvm.load {{.*}} : !llvm.ptr<1> -> i32
// A 64-bit word from its two 32-bit halves, stored where the slot is not -1.
// CHECK:         llvm.zext {{.*}} : i32 to i64
// CHECK:         %[[NONE:.*]] = llvm.mlir.constant(4294967295 : i64) : i64
// CHECK-NEXT:    %[[READ:.*]] = llvm.icmp "ne" %{{.*}}, %[[NONE]] : i64
// CHECK-NEXT:    llvm.cond_br %[[READ]]
// The last word (or an unaligned x): the slots cleared, then a loop over
// the samples below n, a byte at a time.
// CHECK:         %[[TRUE:.*]] = llvm.mlir.constant(true) : i1
// CHECK-NEXT:    llvm.xor %[[FULL]], %[[TRUE]] : i1
// CHECK:         llvm.load {{.*}} : !llvm.ptr -> i8
// CHECK:         llvm.store {{.*}} : i64, !llvm.ptr<3>
// The kernel: phase 0 from the pixels, a barrier, then phases 1 .. 4 of
// the phase function (its input array unused: null).
// CHECK-LABEL: llvm.func @lgc_net_u8(%arg0: !llvm.ptr, %arg1: i64, %arg2: !llvm.ptr, %arg3: !llvm.ptr, %arg4: !llvm.ptr, %arg5: i64) attributes {nvvm.kernel, nvvm.maxntid = array<i32: 256, 1, 1>, nvvm.minctasm = 4 : i32
// CHECK:         %[[NULL:.*]] = llvm.mlir.zero : !llvm.ptr
// CHECK:         llvm.icmp "ult" %{{.*}}, %arg5 : i64
// CHECK:         llvm.call @__lgc_gpu_block_inputs_u8(%arg0, %arg1, %arg2,
// CHECK-NEXT:    nvvm.barrier0
// CHECK-NEXT:    %[[ONE:.*]] = llvm.mlir.constant(1 : i64) : i64
// CHECK:         llvm.br ^bb3(%[[ONE]] : i64)
// CHECK:         llvm.call @__lgc_gpu_block_phase(%[[NULL]], %arg2, %arg3, %arg4,
// CHECK-NEXT:    nvvm.barrier0

// OFF-NOT: __lgc_gen_block_input_slots
// OFF-NOT: __lgc_gpu_block_inputs_u8
// OFF-NOT: lgc_net_u8
// OFF: llvm.func internal @__lgc_gpu_block_phase({{.*}}passthrough = ["nounwind"]
// OFF-NOT: lgc_net_u8

// Host mode: the phase-0 function exported, generic pointers throughout.
// HOST: llvm.func @__lgc_gpu_block_inputs_u8(%arg0: !llvm.ptr, %arg1: i64, %arg2: !llvm.ptr, %arg3: !llvm.ptr, %arg4: i64, %arg5: i64) attributes {passthrough = ["nounwind"]}
// HOST-NOT: !llvm.ptr<1> -> i32
// HOST: llvm.load {{.*}} invariant {alignment = 4 : i64} : !llvm.ptr -> i32
// HOST-NOT: lgc_net_u8

// Beside the thread kernel: lgc_net_block_u8.
// BOTH: llvm.func @lgc_net_block(
// BOTH: llvm.func @lgc_net_block_u8(%arg0: !llvm.ptr, %arg1: i64,
// BOTH: llvm.call @__lgc_gpu_block_inputs_u8(

lgn.net @fours classes 2 tau 1.0 attributes {features = 8 : i32, levels = array<f32: 0.25, 0.75>} {
^bb0(%a0: i1, %a1: i1, %a2: i1, %a3: i1, %a4: i1, %a5: i1, %a6: i1, %a7: i1, %b0: i1, %b1: i1, %b2: i1, %b3: i1, %b4: i1, %b5: i1, %b6: i1, %b7: i1):
  %0 = lgn.gate xor %a0, %b7
  %1 = lgn.gate and %a5, %b2
  lgn.output %0, %1
}

// -----

// An explicit encoding (each input bit its own feature and threshold): no
// u8 kernel; the packing kernel serves it.
// CHECK-NOT: __lgc_gpu_block_inputs_u8
// CHECK: llvm.func @lgc_net(
// CHECK-NOT: lgc_net_u8
// OFF: llvm.func @lgc_net(
// HOST: llvm.func @__lgc_gpu_block_phase(
// BOTH: llvm.func @lgc_net_block(
// BOTH-NOT: lgc_net_block_u8
lgn.net @explicit classes 1 tau 1.0 attributes {features = 2 : i32, bit_features = array<i32: 1, 0>, bit_thresholds = array<f32: 0.25, 0.75>} {
^bb0(%a: i1, %b: i1):
  %0 = lgn.gate xor %a, %b
  lgn.output %0
}
