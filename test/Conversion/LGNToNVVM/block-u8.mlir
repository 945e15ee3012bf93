// RUN: lgc-opt %s --split-input-file --convert-lgn-to-nvvm="block-kernel=true block-words=1" | FileCheck %s
// RUN: lgc-opt %s --split-input-file --convert-lgn-to-nvvm="block-kernel=true block-words=1 block-u8=false" | FileCheck %s --check-prefix=OFF
// RUN: lgc-opt %s --split-input-file --convert-lgn-to-nvvm="block-kernel=true block-words=1 host-mode=true" | FileCheck %s --check-prefix=HOST
// RUN: lgc-opt %s --split-input-file --convert-lgn-to-nvvm="block-kernel=true both-kernels=true" | FileCheck %s --check-prefix=BOTH
// RUN: lgc-opt %s --split-input-file --convert-lgn-to-nvvm="block-kernel=true block-words=1 block-u8-prefetch=true" | FileCheck %s --check-prefix=PF
// RUN: lgc-opt %s --split-input-file --convert-lgn-to-nvvm="block-kernel=true block-words=1 block-u8-prefetch=true host-mode=true" | FileCheck %s --check-prefix=PFHOST

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
// Bytes 0 and 2 (mask 0x00ff00ff) and 1 and 3 (one byte permute: bytes 1,
// zero, 3, zero, selector 0x4341) plus 256 - t in each 16-bit lane (level
// 0.25: 192 x 0x10001; level 0.75: 64 x 0x10001): bit 8 of a lane is
// whether its byte is at least t. Sample 0's bits go to bits 0 and 16
// (shifted right by 8, mask 0x10001) of a register of 16 samples.
// CHECK:         %[[X:.*]] = llvm.load %{{.*}} invariant {alignment = 4 : i64} : !llvm.ptr<1> -> i32
// CHECK-NEXT:    %[[M:.*]] = llvm.mlir.constant(16711935 : i32) : i32
// CHECK-NEXT:    %[[EVEN:.*]] = llvm.and %[[X]], %[[M]] : i32
// CHECK-NEXT:    %[[ZERO:.*]] = llvm.mlir.constant(0 : i32) : i32
// CHECK-NEXT:    %[[SEL:.*]] = llvm.mlir.constant(17217 : i32) : i32
// CHECK-NEXT:    %[[ODD:.*]] = llvm.call_intrinsic "llvm.nvvm.prmt"(%[[X]], %[[ZERO]], %[[SEL]]) : (i32, i32, i32) -> i32
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

// Pixels prefetched (block-u8-prefetch): a writable global, 0 until the
// runtime writes the blocks resident at once. The prefetch function:
// where ahead is not 0 and block bid + ahead has samples below n, the
// bytes of that block's samples (one 64-sample word of 8 features: 512
// bytes), clamped to n x 8, a 128-byte line a thread from the line of its
// first byte, B x 128 = 32,768 bytes apart, by prefetch.global.L2.
// PF: llvm.mlir.global external @__lgc_gen_block_u8_ahead(dense<0> : tensor<1xi32>) {addr_space = 1 : i32, alignment = 4 : i64} : !llvm.array<1 x i32>
// PF-LABEL: llvm.func internal @__lgc_gpu_block_prefetch_u8(%arg0: !llvm.ptr, %arg1: i64, %arg2: i64, %arg3: i64, %arg4: i64) attributes {passthrough = ["nounwind", "alwaysinline"]}
// PF-NEXT:    %[[NEXT:.*]] = llvm.add %arg2, %arg4 : i64
// PF-NEXT:    %[[BYTES:.*]] = llvm.mlir.constant(512 : i64) : i64
// PF-NEXT:    %[[LO:.*]] = llvm.mul %[[NEXT]], %[[BYTES]] : i64
// PF-NEXT:    %[[F:.*]] = llvm.mlir.constant(8 : i64) : i64
// PF-NEXT:    %[[TOTAL:.*]] = llvm.mul %arg1, %[[F]] : i64
// PF-NEXT:    %[[ZERO:.*]] = llvm.mlir.constant(0 : i64) : i64
// PF-NEXT:    %[[ON:.*]] = llvm.icmp "ne" %arg4, %[[ZERO]] : i64
// PF-NEXT:    %[[HAS:.*]] = llvm.icmp "ult" %[[LO]], %[[TOTAL]] : i64
// PF-NEXT:    %[[ANY:.*]] = llvm.and %[[ON]], %[[HAS]]
// PF-NEXT:    llvm.cond_br %[[ANY]]
// PF:         %[[SPAN:.*]] = llvm.mlir.constant(512 : i64) : i64
// PF-NEXT:    %[[HI:.*]] = llvm.add %[[LO]], %[[SPAN]] : i64
// PF-NEXT:    %[[IN:.*]] = llvm.icmp "ult" %[[HI]], %[[TOTAL]] : i64
// PF-NEXT:    %[[END:.*]] = llvm.select %[[IN]], %[[HI]], %[[TOTAL]] : i1, i64
// PF-NEXT:    %[[X:.*]] = llvm.addrspacecast %arg0 : !llvm.ptr to !llvm.ptr<1>
// PF-NEXT:    %[[XA:.*]] = llvm.ptrtoint %arg0 : !llvm.ptr to i64
// PF-NEXT:    %[[FIRSTA:.*]] = llvm.add %[[XA]], %[[LO]] : i64
// PF-NEXT:    %[[MASK:.*]] = llvm.mlir.constant(-128 : i64) : i64
// PF-NEXT:    %[[LINEA:.*]] = llvm.and %[[FIRSTA]], %[[MASK]]
// PF-NEXT:    %[[LINE:.*]] = llvm.sub %[[LINEA]], %[[XA]] : i64
// PF-NEXT:    %[[L128:.*]] = llvm.mlir.constant(128 : i64) : i64
// PF-NEXT:    %[[MINE:.*]] = llvm.mul %arg3, %[[L128]] : i64
// PF-NEXT:    %[[START:.*]] = llvm.add %[[LINE]], %[[MINE]] : i64
// PF-NEXT:    %[[STEP:.*]] = llvm.mlir.constant(32768 : i64) : i64
// PF-NEXT:    llvm.br ^[[HEAD:bb[0-9]+]](%[[START]] : i64)
// PF:       ^[[HEAD]](%[[AT_LINE:.*]]: i64):
// PF-NEXT:    llvm.icmp "slt" %[[AT_LINE]], %[[END]] : i64
// PF:         %[[P:.*]] = llvm.getelementptr %[[X]][%[[AT_LINE]]] : (!llvm.ptr<1>, i64) -> !llvm.ptr<1>, i8
// PF-NEXT:    llvm.inline_asm has_side_effects "prefetch.global.L2 [$0];", "l" %[[P]] : (!llvm.ptr<1>) -> ()
// PF-NEXT:    llvm.add %[[AT_LINE]], %[[STEP]] : i64
// The kernel calls it after phase 0 with the runtime's value, then the
// level phases as without it.
// PF-LABEL: llvm.func @lgc_net_u8(
// PF:         %[[TID:.*]] = llvm.zext %{{.*}} : i32 to i64
// PF:         %[[BID:.*]] = llvm.zext %{{.*}} : i32 to i64
// PF:         llvm.call @__lgc_gpu_block_inputs_u8(
// PF-NEXT:    nvvm.barrier0
// PF-NEXT:    %[[AT:.*]] = llvm.mlir.addressof @__lgc_gen_block_u8_ahead : !llvm.ptr<1>
// PF-NEXT:    %[[AHEAD:.*]] = llvm.load %[[AT]] invariant {alignment = 4 : i64} : !llvm.ptr<1> -> i32
// PF-NEXT:    %[[A64:.*]] = llvm.zext %[[AHEAD]] : i32 to i64
// PF-NEXT:    llvm.call @__lgc_gpu_block_prefetch_u8(%arg0, %arg1, %[[BID]], %[[TID]], %[[A64]])
// PF:         llvm.call @__lgc_gpu_block_phase(
// Host mode has the global (the runtime writes it) and exports the
// function, which calls its last argument with each line's address and
// prefetches nothing.
// PFHOST: llvm.mlir.global external @__lgc_gen_block_u8_ahead(dense<0> : tensor<1xi32>) {addr_space = 0 : i32, alignment = 4 : i64} : !llvm.array<1 x i32>
// PFHOST-LABEL: llvm.func @__lgc_gpu_block_prefetch_u8(%arg0: !llvm.ptr, %arg1: i64, %arg2: i64, %arg3: i64, %arg4: i64, %arg5: !llvm.ptr)
// PFHOST-NOT: addrspacecast
// PFHOST:       %[[P:.*]] = llvm.getelementptr %arg0[%{{.*}}] : (!llvm.ptr, i64) -> !llvm.ptr, i8
// PFHOST-NEXT:  llvm.call %arg5(%[[P]]) : !llvm.ptr, (!llvm.ptr) -> ()
// PFHOST-NOT: prefetch.global

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
