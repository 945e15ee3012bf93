// RUN: lgc-opt %s --convert-lgn-to-nvvm=block-kernel=true | FileCheck %s
// RUN: lgc-opt %s --convert-lgn-to-nvvm="block-kernel=true block-words=1 block-threads=64" | FileCheck %s --check-prefix=ONE
// RUN: lgc-opt %s --convert-lgn-to-nvvm="block-kernel=true host-mode=true" | FileCheck %s --check-prefix=HOST
// RUN: lgc-opt %s --convert-lgn-to-nvvm="block-kernel=true block-words=1 block-shared-limit=48 block-word-bits=64" | FileCheck %s --check-prefix=SPILL
// RUN: lgc-opt %s --convert-lgn-to-nvvm="block-kernel=true block-words=2 block-threads=33 block-interleave-words=true" | FileCheck %s --check-prefix=INTER
// RUN: lgc-opt %s --convert-lgn-to-nvvm="block-kernel=true both-kernels=true" | FileCheck %s --check-prefix=BOTH
// RUN: lgc-opt %s --convert-lgn-to-nvvm="block-kernel=true block-word-argmax=true" | FileCheck %s --check-prefix=WORD
// RUN: lgc-opt %s --convert-lgn-to-nvvm="block-kernel=true both-kernels=true host-mode=true" | FileCheck %s --check-prefix=BOTHHOST
// RUN: lgc-opt %s --convert-lgn-to-nvvm="block-kernel=true block-word-bits=32 block-words=1" | FileCheck %s --check-prefix=HALF
// RUN: lgc-opt %s --convert-lgn-to-nvvm="block-kernel=true block-prefetch=false" | FileCheck %s --check-prefix=EACH

// The block kernel's tables. Slots 0 and 1 are the constants, the inputs
// read take 2-4; level 1 (%0, %1) takes 5 and 6; level 2 takes back slot
// 4, whose input (%c) was last read in level 1 (freed last, taken first);
// slot 2 (%a) stays live, %a being an output. Gates, one i64 each:
// a | b << 16 | result << 32, each slot as its byte offset in its word's
// rows (8 x the slot: the module's slot scale is 8, 10 slots of 8 bytes
// being under 64 KB), and the masks of f(0,0), f(0,0) ^ f(0,1), f(1,0)
// and f(1,0) ^ f(1,1) at bits 55, 63, 54 and 62 (the sign bits of bytes 6
// and 7, and of the same bytes shifted left by one): and 0x4000 << 48,
// xor 0xC040, or 0x8040 (the truth tables 8, 6 and 14), e.g. 16 | 24 <<
// 16 | 40 << 32 | 0x4000 << 48, printed little-endian; then 256 zero
// entries, for the loads of a round's second entry (256 past its first)
// where the first is the table's last; level starts 0, 2, 3.
// The count is one reduction (2 bits a class: one group): its inputs are
// class 0's slots 4 (%2) and 2 (%a), class 1's 6 (%1) and 5 (%0); its
// 2 x 2 planes take slot 3 (%b, free since level 1) and three new ones.
// Shape: ABI 9, ..., scratch 0, then 8 words per block (10 slots x 8
// words x 8 bytes = 640), 256 threads, 5 phases (inputs, 2 levels, the
// reduction, argmax), ..., 64-bit words.
// CHECK: @__lgc_gen_shape(dense<[10, 3, 3, 2, 4, 3, 1, 2, 0, 1, 8, 256, 640, 5, 1, 0, 0, 0, 0, 64]>
// CHECK: @__lgc_gen_block_inputs(dense<[0, 2, 1, 3, 2, 4]>
// CHECK: @__lgc_gen_block_slot_scale(dense<8> : tensor<1xi32>)
// CHECK: @__lgc_gen_block_gates(dense<"0x100018002800004018002000300040C02800300020004080{{(0000000000000000)+}}"> : tensor<259xi64>
// CHECK: @__lgc_gen_block_levels(dense<[0, 2, 3]>
// Each group's row of slots padded to four (16 bytes, one load a thread):
// CHECK: @__lgc_gen_block_reduce0_in(dense<[4, 2, 0, 0, 6, 5, 0, 0]> : tensor<8xi32>) {{.*}}alignment = 16
// CHECK: @__lgc_gen_block_reduce0_out(dense<[3, 7, 0, 0, 8, 9, 0, 0]> : tensor<8xi32>) {{.*}}alignment = 16

// One phase function over shared memory (address space 3); the kernel runs
// every phase with a barrier after each, for blocks inside the words.
// CHECK: llvm.func internal @__lgc_gpu_block_phase(%arg0: !llvm.ptr, %arg1: !llvm.ptr, %arg2: !llvm.ptr, %arg3: !llvm.ptr, %arg4: !llvm.ptr<3>, %arg5: i64, %arg6: i64, %arg7: i64)
// The shared array's address, made once as a value (an inline move), not
// the symbol, which inlined would be materialized in every block using it.
// CHECK-NEXT: %[[RAW:.*]] = llvm.ptrtoint %arg4 : !llvm.ptr<3> to i64
// CHECK-NEXT: %[[MOV:.*]] = llvm.inline_asm "mov.b64 $0, $1;", "=l,l" %[[RAW]] : (i64) -> i64
// CHECK-NEXT: %[[SH:.*]] = llvm.inttoptr %[[MOV]] : i64 to !llvm.ptr<3>
// Phase 0 copies an input's row of the block's 8 words (64 contiguous
// bytes of the in array) in four 16-byte loads, then the levels.
// CHECK-COUNT-4: llvm.load {{.*}} {alignment = 16 : i64} : !llvm.ptr -> vector<2xi64>
// CHECK-NOT: llvm.load {{.*}} -> vector<2xi64>
// CHECK: @__lgc_gen_block_levels
// A level's loop: thread t starts at entry t of the level, rounds of 512
// entries (256 threads x 2 a round: the unroll of 4 capped at 2, since 8
// words of 2 entries' values a thread fill a quarter of the 64 registers
// that four blocks of 256 threads leave each).
// Its table entries are loaded a round ahead (block-prefetch): the first
// round's two before the loop, the next round's at the top of each
// iteration, carried into the next; each round's from one address (its
// first entry, clamped to the table's last, 2) and constant offsets (0 and
// 256 entries). Entry indices are 32-bit, the loop's too (a 64-bit add or
// compare is two instructions on the GPU).
// CHECK: %[[LAST:.*]] = llvm.sub {{.*}} : i32
// CHECK-NEXT: %[[TID:.*]] = llvm.trunc %arg6 : i64 to i32
// CHECK-NEXT: %[[START:.*]] = llvm.add %{{.*}}, %[[TID]] : i32
// CHECK-NEXT: %[[ROUND:.*]] = llvm.mlir.constant(512 : i32)
// CHECK-NEXT: %[[MAX:.*]] = llvm.mlir.constant(2 : i32)
// CHECK-NEXT: %[[FIRST:.*]] = llvm.intr.umin(%[[START]], %[[MAX]])
// CHECK-NEXT: %[[WIDE:.*]] = llvm.zext %[[FIRST]] : i32 to i64
// CHECK-NEXT: %[[BASE:.*]] = llvm.getelementptr %{{.*}}[%[[WIDE]]]
// CHECK-NEXT: llvm.mlir.constant(0 : i64)
// CHECK-NEXT: llvm.getelementptr %[[BASE]]
// CHECK-NEXT: %[[E0:.*]] = llvm.load {{.*}} invariant {{.*}} -> i64
// CHECK-NEXT: llvm.mlir.constant(256 : i64)
// CHECK-NEXT: llvm.getelementptr %[[BASE]]
// CHECK-NEXT: %[[E1:.*]] = llvm.load {{.*}} invariant {{.*}} -> i64
// CHECK-NEXT: llvm.br ^bb{{[0-9]+}}(%[[START]], %[[E0]], %[[E1]] : i32, i64, i64)
// CHECK: ^bb{{[0-9]+}}(%[[E:.*]]: i32, %[[F0:.*]]: i64, %{{.*}}: i64):
// CHECK-NEXT: llvm.icmp "slt" %[[E]], {{.*}} : i32
// CHECK: %[[NEXT:.*]] = llvm.add %[[E]], %[[ROUND]] : i32
// CHECK: %[[N0:.*]] = llvm.load {{.*}} invariant {{.*}} -> i64
// CHECK: %[[N1:.*]] = llvm.load {{.*}} invariant {{.*}} -> i64
// The current round's first entry is the carried one: its fields, and
// each mask one byte permute of the high half (or of it shifted left by
// one) replicating the sign of byte 2 (0xAAAA) or 3 (0xBBBB), as two
// copies of a 32-bit 0 or -1 (not a sign extension, whose high half ptxas
// computes).
// CHECK: llvm.trunc %[[F0]] : i64 to i32
// CHECK: %[[HI:.*]] = llvm.trunc {{.*}} : i64 to i32
// CHECK: llvm.mlir.constant(43690 : i32)
// CHECK-NEXT: llvm.call_intrinsic "llvm.nvvm.prmt"(%[[HI]], %{{.*}}, %{{.*}})
// CHECK-NEXT: llvm.mlir.undef : vector<2xi32>
// CHECK-NEXT: llvm.mlir.constant(0 : i32)
// CHECK-NEXT: llvm.insertelement
// CHECK-NEXT: llvm.mlir.undef : vector<2xi32>
// CHECK-NEXT: llvm.shufflevector {{.*}} [0, 0] : vector<2xi32>
// CHECK-NEXT: llvm.bitcast {{.*}} : vector<2xi32> to i64
// CHECK-NOT: llvm.sext
// The second entry's stores, in a branch taken where it is in the level.
// CHECK: llvm.cond_br %{{.*}}, ^bb[[ST:[0-9]+]], ^bb{{[0-9]+}}
// CHECK: ^bb[[ST]]:
// CHECK: llvm.store
// CHECK: llvm.br ^bb{{[0-9]+}}(%{{.*}}, %[[N0]], %[[N1]] : i32, i64, i64)
// Without it (block-prefetch=false), each round loads its own entries.
// EACH-LABEL: llvm.func internal @__lgc_gpu_block_phase
// EACH: llvm.mlir.addressof @__lgc_gen_block_levels
// EACH: %[[LAST:.*]] = llvm.sub
// EACH-NEXT: llvm.trunc %arg6
// EACH-NEXT: %[[START:.*]] = llvm.add %{{.*}} : i32
// EACH-NEXT: llvm.mlir.constant(512 : i32)
// EACH-NEXT: llvm.br ^bb{{[0-9]+}}(%[[START]] : i32)
// EACH: ^bb{{[0-9]+}}(%[[E:.*]]: i32):
// EACH: llvm.add %[[E]]
// EACH-NEXT: llvm.getelementptr
// EACH-NEXT: llvm.load {{.*}} invariant {{.*}} -> i64
// The last phase, the argmax: a thread per sample of the 8 words (512),
// each loading the 32-bit half that holds its bit of each plane (the
// planes' slots constants: 3 and 7 for class 0, rows of 10 slots), class
// 1's count replacing class 0's only where strictly greater.
// CHECK: llvm.mlir.constant(512 : i64)
// CHECK: llvm.mlir.constant(3 : i64)
// CHECK-NEXT: llvm.mlir.constant(10 : i64)
// CHECK-NEXT: llvm.mul
// CHECK-NEXT: llvm.getelementptr %[[SH]][{{.*}}] : (!llvm.ptr<3>, i64) -> !llvm.ptr<3>, i64
// CHECK-NEXT: llvm.getelementptr {{.*}} : (!llvm.ptr<3>, i64) -> !llvm.ptr<3>, i64
// CHECK-NEXT: llvm.getelementptr {{.*}} -> !llvm.ptr<3>, i32
// CHECK-NEXT: llvm.load {{.*}} : !llvm.ptr<3> -> i32
// CHECK: llvm.icmp "ugt" {{.*}} : i32
// CHECK-NEXT: llvm.select
// CHECK: llvm.store {{.*}} : i32, !llvm.ptr
// CHECK: llvm.mlir.global external @__lgc_block_shared() {addr_space = 3 : i32, alignment = 16 : i64} : !llvm.array<0 x i64>
// The kernel declares its block size (PTX .maxntid) and how many blocks
// share a multiprocessor (.minnctapersm: as many as its shared memory
// holds, here 4 of 256 threads, the most threads asked for), so ptxas fits
// its registers to that many threads.
// CHECK-LABEL: llvm.func @lgc_net(%arg0: !llvm.ptr, %arg1: !llvm.ptr, %arg2: !llvm.ptr, %arg3: !llvm.ptr, %arg4: i64) attributes {nvvm.kernel, nvvm.maxntid = array<i32: 256, 1, 1>, nvvm.minctasm = 4 : i32
// CHECK:   nvvm.read.ptx.sreg.tid.x
// CHECK:   nvvm.read.ptx.sreg.ctaid.x
// CHECK:   llvm.mlir.addressof @__lgc_block_shared : !llvm.ptr<3>
// CHECK:   llvm.icmp "ult"
// CHECK:   llvm.mlir.constant(5 : i64)
// CHECK:   llvm.call @__lgc_gpu_block_phase(%arg0, %arg1, %arg2, %arg3,
// CHECK-NEXT: nvvm.barrier0
// CHECK-NOT: __lgc_gpu_thread

// ONE: @__lgc_gen_shape(dense<[10, 3, 3, 2, 4, 3, 1, 2, 0, 1, 1, 64, 80, 5, 1, 0, 0, 0, 0, 64]>
// ONE: llvm.func @lgc_net({{.*}}nvvm.maxntid = array<i32: 64, 1, 1>, nvvm.minctasm = 16 : i32

// Shared memory for 6 of the 10 slots (48 bytes): slots 6-9 are rows 0-3
// of the scratch array (shape[kScratchSlots] = 4), reached through a
// generic pointer to either.
// SPILL: @__lgc_gen_shape(dense<[10, 3, 3, 2, 4, 3, 1, 2, 4, 1, 1, 256, 48, 5, 1, 0, 0, 0, 0, 64]>
// Slots past shared memory: the levels' tables hold slot indices (scale 1).
// SPILL: @__lgc_gen_block_slot_scale(dense<1> : tensor<1xi32>)
// SPILL-LABEL: llvm.func internal @__lgc_gpu_block_phase
// SPILL: %[[SH:.*]] = llvm.inttoptr {{.*}} : i64 to !llvm.ptr<3>
// SPILL: llvm.addrspacecast %[[SH]] : !llvm.ptr<3> to !llvm.ptr
// SPILL: llvm.icmp "ult" {{.*}} : i64
// SPILL-NEXT: llvm.select {{.*}} : i1, !llvm.ptr

// Interleaved words (two): rows of 24 slots, 8 modulo 16, so word 1 of a
// slot sits 8 bank pairs from word 0 (24 x 2 words x 8 bytes = 384). In a
// level, thread t takes word t % 2 of the entries of thread t / 2: entries
// t / 2, t / 2 + 16, + 32 and + 48 of each round of 64 (a warp's table
// load one contiguous run); thread 32, the odd one out of 33, takes none
// (its start is the level's end).
// INTER: @__lgc_gen_shape(dense<[10, 3, 3, 2, 4, 3, 1, 2, 0, 1, 2, 33, 384, 5, 1, 0, 0, 0, 0, 64]>
// INTER: @__lgc_gen_block_gates(dense<[{{.*}}]> : tensor<51xi64>
// INTER-LABEL: llvm.func internal @__lgc_gpu_block_phase
// INTER: llvm.sub %arg7
// INTER-NEXT: %[[TWO:.*]] = llvm.mlir.constant(2 : i64)
// INTER-NEXT: %[[G:.*]] = llvm.udiv %arg6, %[[TWO]]
// INTER: llvm.urem %arg6
// INTER: llvm.getelementptr %{{.*}}[%arg7]
// INTER-NEXT: llvm.load
// INTER-NEXT: llvm.zext {{.*}} : i32 to i64
// INTER-NEXT: %[[END:.*]] = llvm.trunc {{.*}} : i64 to i32
// INTER: %[[G32:.*]] = llvm.trunc %[[G]] : i64 to i32
// INTER-NEXT: %[[START:.*]] = llvm.add %{{.*}}, %[[G32]]
// INTER-NEXT: %[[WHOLE:.*]] = llvm.mlir.constant(32 : i64)
// INTER-NEXT: %[[IN:.*]] = llvm.icmp "ult" %arg6, %[[WHOLE]]
// INTER-NEXT: llvm.select %[[IN]], %[[START]], %[[END]]
// INTER-NEXT: llvm.mlir.constant(64 : i32)
// Whole rounds first, while a thread's last entry of the round (48 past
// its first) is in the level, their stores with no bounds to check (the
// round's first entry carried with its entries); then at most one round
// with them.
// INTER-NEXT: %[[LASTOFF:.*]] = llvm.mlir.constant(48 : i32)
// INTER-NEXT: %[[WHOLEEND:.*]] = llvm.sub %[[END]], %[[LASTOFF]] : i32
// INTER: ^bb{{[0-9]+}}(%[[E:[0-9]+]]: i32, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i32):
// INTER-NEXT: llvm.icmp "slt" %[[E]], %[[WHOLEEND]] : i32
// The next round's entries (t / 2 + 16 k of its round), loaded ahead from
// its first, clamped to the table's last (2), at offsets of 16 entries (the
// table padded with 3 x 16 entries for them):
// INTER: %[[NEXT:.*]] = llvm.add %[[E]], %{{.*}} : i32
// INTER-NEXT: llvm.mlir.constant(2 : i32)
// INTER-NEXT: %[[FIRST:.*]] = llvm.intr.umin(%[[NEXT]], %{{.*}})
// INTER-NEXT: %[[WIDE:.*]] = llvm.zext %[[FIRST]] : i32 to i64
// INTER-NEXT: %[[BASE:.*]] = llvm.getelementptr %{{.*}}[%[[WIDE]]]
// INTER: llvm.mlir.constant(16 : i64)
// INTER-NEXT: llvm.getelementptr %[[BASE]]
// INTER: llvm.mlir.constant(48 : i64)
// INTER-NEXT: llvm.getelementptr %[[BASE]]
// then this round's, stored with no bounds, and the loop's next round:
// INTER-NOT: llvm.cond_br
// INTER: llvm.br ^bb{{[0-9]+}}(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : i32, i64, i64, i64, i64, i32)
// After the whole rounds, the one round that may pass the level's end,
// where its first entry is in it, each later entry stored where it is:
// INTER: ^bb{{[0-9]+}}:
// INTER-NEXT: llvm.icmp "slt" %{{[0-9]+}}, %[[END]] : i32
// INTER: llvm.icmp "slt" %{{[0-9]+}}, %[[END]] : i32
// Blocks of 33 threads take two warps each: 16 of them make 1,024 threads.
// INTER: llvm.func @lgc_net({{.*}}nvvm.maxntid = array<i32: 33, 1, 1>, nvvm.minctasm = 16 : i32

// Both kernels: lgc_net the thread kernel (its shape's block slots 0, its
// scratch 3 rows), the packing kernels once, then the block kernel as
// lgc_net_block with its own shape table (the block slots as above); its
// phase function is to be inlined by LLVM (relocatable parts keep calls).
// BOTH: @__lgc_gen_shape(dense<[10, 3, 3, 2, 4, 3, 1, 2, 3, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]>
// BOTH: llvm.func internal @__lgc_gpu_thread(
// BOTH: llvm.func @lgc_pack_u8(
// BOTH: llvm.func @lgc_pack_bits(
// BOTH: llvm.func @lgc_net(
// BOTH-NOT: nvvm.maxntid
// BOTH: @__lgc_gen_block_shape(dense<[10, 3, 3, 2, 4, 3, 1, 2, 0, 1, 8, 256, 640, 5, 1, 0, 0, 0, 0, 64]>
// BOTH-NOT: @__lgc_gen_shape(
// BOTH: llvm.func internal @__lgc_gpu_block_phase({{.*}}passthrough = ["nounwind", "alwaysinline"]
// BOTH-NOT: llvm.func @lgc_pack
// BOTH: llvm.func @lgc_net_block(%arg0: !llvm.ptr, %arg1: !llvm.ptr, %arg2: !llvm.ptr, %arg3: !llvm.ptr, %arg4: i64) attributes {nvvm.kernel, nvvm.maxntid = array<i32: 256, 1, 1>, nvvm.minctasm = 4 : i32
// BOTH: llvm.call @__lgc_gpu_block_phase(
// BOTH-NEXT: nvvm.barrier0

// BOTHHOST: llvm.func @__lgc_gpu_thread(
// BOTHHOST: @__lgc_gen_block_shape(
// BOTHHOST: llvm.func @__lgc_gpu_block_phase({{.*}}passthrough = ["nounwind"]
// BOTHHOST-NOT: lgc_net

// The earlier argmax (block-word-argmax): threads 0-7, one per word, load
// the planes from their slots, constants (3, 7, then 8, 9: the last
// reduction's outputs), each of its own word (rows of 10 slots).
// WORD-LABEL: llvm.func internal @__lgc_gpu_block_phase
// WORD: llvm.icmp "ult" %arg6
// WORD: llvm.mlir.constant(3 : i64)
// WORD-NEXT: llvm.mlir.constant(10 : i64)
// WORD-NEXT: llvm.mul %arg6
// WORD: llvm.load {{.*}} : !llvm.ptr<3> -> i64
// WORD-NEXT: llvm.mlir.constant(7 : i64)
// WORD-NOT: llvm.mlir.addressof @__lgc_gen_block_reduce0_out
// WORD-NOT: llvm.icmp "ugt" {{.*}} : i32
// WORD: llvm.return

// 32-bit words, one a block: 10 slots x 4 bytes, shape[19] = 32; the
// inputs' copy loads the 32-bit half of each input word (from the generic
// in array) into shared memory, gates load and store 4-byte words, and a
// block runs where its word is below twice the 64-bit words.
// HALF: @__lgc_gen_shape(dense<[10, 3, 3, 2, 4, 3, 1, 2, 0, 1, 1, 256, 40, 5, 1, 0, 0, 0, 0, 32]>
// 32-bit words: the levels' slots are byte offsets, 4 x the slot.
// HALF: @__lgc_gen_block_slot_scale(dense<4> : tensor<1xi32>)
// HALF-LABEL: llvm.func internal @__lgc_gpu_block_phase
// HALF: llvm.store {{.*}} : i32, !llvm.ptr<3>
// HALF: %[[IN:.*]] = llvm.getelementptr %arg0[%{{.*}}] : (!llvm.ptr, i64) -> !llvm.ptr, i64
// HALF-NEXT: %[[HALF:.*]] = llvm.getelementptr %[[IN]][%{{.*}}] : (!llvm.ptr, i64) -> !llvm.ptr, i32
// HALF-NEXT: llvm.load %[[HALF]] {{.*}} : !llvm.ptr -> i32
// HALF: llvm.load {{.*}} : !llvm.ptr<3> -> i32
// HALF-NOT: : !llvm.ptr<3> -> i64
// HALF: llvm.func @lgc_net(
// HALF: %[[TWO:.*]] = llvm.mlir.constant(2 : i64)
// HALF-NEXT: %[[HALVES:.*]] = llvm.mul %arg4, %[[TWO]]
// HALF-NEXT: llvm.icmp "ult" %{{.*}}, %[[HALVES]]

// HOST: llvm.func @__lgc_gpu_block_phase(%arg0: !llvm.ptr, %arg1: !llvm.ptr, %arg2: !llvm.ptr, %arg3: !llvm.ptr, %arg4: !llvm.ptr, %arg5: i64, %arg6: i64, %arg7: i64)
// HOST-NOT: nvvm
// HOST-NOT: __lgc_block_shared

lgn.net @net classes 2 tau 1.0 {
^bb0(%a: i1, %b: i1, %c: i1):
  %0 = lgn.gate and %a, %b
  %1 = lgn.gate xor %b, %c
  %2 = lgn.gate or %0, %1
  lgn.output %2, %a, %1, %0
}
