// RUN: lgc-opt %s --split-input-file --convert-lgn-to-nvvm | FileCheck %s

// A thermometer encoding (3 features, levels 0.25 and 0.75): thread gid
// makes both levels of feature f = gid % 3 for word t = gid / 3. A word
// whose 64 samples are all below n reads them at constant offsets s * 3
// from the thread's first byte, invariant loads through the global address
// space; the last word takes the checked path. Each byte is compared in 32
// bits with the 8-bit thresholds (64, 192) as immediates, and the bit
// shifted to its sample's place; level j of feature f is input row j * 3 +
// f of word t's tile.
// CHECK-LABEL: llvm.func internal @__lgc_gpu_pack_u8
// CHECK-NEXT:    %[[F3:.*]] = llvm.mlir.constant(3 : i64) : i64
// CHECK-NEXT:    %[[F:.*]] = llvm.urem %arg4, %[[F3]] : i64
// CHECK-NEXT:    %[[T3:.*]] = llvm.mlir.constant(3 : i64) : i64
// CHECK-NEXT:    %[[T:.*]] = llvm.udiv %arg4, %[[T3]] : i64
// CHECK:         %[[FULL:.*]] = llvm.icmp "ule" %{{.*}}, %arg1 : i64
// CHECK-NEXT:    llvm.cond_br %[[FULL]], ^bb1, ^bb2
// CHECK:       ^bb1:
// CHECK-NEXT:    %[[X:.*]] = llvm.addrspacecast %arg0 : !llvm.ptr to !llvm.ptr<1>
// CHECK:         %[[BASE:.*]] = llvm.getelementptr %[[X]][
// CHECK:         %[[P0:.*]] = llvm.getelementptr %[[BASE]][0] : (!llvm.ptr<1>) -> !llvm.ptr<1>, i8
// CHECK-NEXT:    %[[B0:.*]] = llvm.load %[[P0]] invariant {{.*}} : !llvm.ptr<1> -> i8
// CHECK-NEXT:    %[[V0:.*]] = llvm.zext %[[B0]] : i8 to i32
// CHECK-NEXT:    %[[L0:.*]] = llvm.mlir.constant(64 : i32) : i32
// CHECK-NEXT:    %[[ON0:.*]] = llvm.icmp "uge" %[[V0]], %[[L0]] : i32
// CHECK-NEXT:    llvm.zext %[[ON0]] : i1 to i32
// CHECK:         %[[L1:.*]] = llvm.mlir.constant(192 : i32) : i32
// CHECK-NEXT:    llvm.icmp "uge" %[[V0]], %[[L1]] : i32
// Sample 1 (3 bytes further): its bits shifted to bit 1.
// CHECK:         %[[P1:.*]] = llvm.getelementptr %[[BASE]][3] : (!llvm.ptr<1>) -> !llvm.ptr<1>, i8
// CHECK-NEXT:    %[[B1:.*]] = llvm.load %[[P1]]
// CHECK-NEXT:    %[[V1:.*]] = llvm.zext %[[B1]] : i8 to i32
// CHECK-NEXT:    llvm.mlir.constant(64 : i32) : i32
// CHECK-NEXT:    %[[ON1:.*]] = llvm.icmp "uge" %[[V1]]
// CHECK-NEXT:    %[[BIT1:.*]] = llvm.zext %[[ON1]] : i1 to i32
// CHECK-NEXT:    %[[ONE:.*]] = llvm.mlir.constant(1 : i32) : i32
// CHECK-NEXT:    llvm.shl %[[BIT1]], %[[ONE]] : i32
// CHECK:         llvm.getelementptr %[[BASE]][189] : (!llvm.ptr<1>) -> !llvm.ptr<1>, i8
// Samples 32 .. 63 in the high half of each word.
// CHECK:         %[[HIGH:.*]] = llvm.mlir.constant(32 : i64) : i64
// CHECK-NEXT:    llvm.shl %{{.*}}, %[[HIGH]] : i64
// CHECK:         llvm.br ^bb3(
// The last word: a loop over its min(n - 64 t, 64) samples, both words
// carried from one sample to the next, one byte load each.
// CHECK:       ^bb2:
// CHECK:         llvm.select %{{.*}}, %{{.*}}, %{{.*}} : i1, i64
// CHECK:         %[[LAST:.*]] = llvm.select %{{.*}}, %{{.*}}, %{{.*}} : i1, i64
// CHECK:         llvm.br ^[[HEAD:bb[0-9]+]](%{{.*}}, %{{.*}}, %{{.*}} : i64, i64, i64)
// CHECK:       ^bb3(%[[W0:.*]]: i64, %[[W1:.*]]: i64):
// CHECK-COUNT-2: llvm.store
// CHECK-NEXT:    llvm.return
// CHECK:       ^[[HEAD]](%[[S:.*]]: i64, %{{.*}}: i64, %{{.*}}: i64):
// CHECK-NEXT:    llvm.icmp "slt" %[[S]], %[[LAST]] : i64
// CHECK:         llvm.load {{.*}} : !llvm.ptr -> i8
// CHECK:         llvm.icmp "uge"
// CHECK:         llvm.shl %{{.*}}, %[[S]] : i64
// CHECK-NOT:     llvm.load
// CHECK:         llvm.br ^[[HEAD]](
// CHECK:         llvm.br ^bb3(
// The kernel's grid: features x words threads.
// CHECK-LABEL: llvm.func @lgc_pack_u8
// CHECK:         %[[ROWS:.*]] = llvm.mlir.constant(3 : i64) : i64
// CHECK-NEXT:    %[[LIMIT:.*]] = llvm.mul %arg3, %[[ROWS]] : i64
// CHECK-NEXT:    llvm.icmp "ult" %{{.*}}, %[[LIMIT]] : i64
lgn.net @thermometer classes 1 tau 1.0 attributes {features = 3 : i32, levels = array<f32: 0.25, 0.75>} {
^bb0(%a0: i1, %a1: i1, %a2: i1, %b0: i1, %b1: i1, %b2: i1):
  %0 = lgn.gate xor %a0, %b2
  lgn.output %0
}

// -----

// An explicit encoding: one thread per input bit (gid % 2) and word, 64
// checked loads of the bit's feature, and the grid inputs x words.
// CHECK-LABEL: llvm.func internal @__lgc_gpu_pack_u8
// CHECK-NEXT:    %[[I2:.*]] = llvm.mlir.constant(2 : i64) : i64
// CHECK-NEXT:    %[[I:.*]] = llvm.urem %arg4, %[[I2]] : i64
// CHECK:         llvm.mlir.addressof @__lgc_gen_bit_feature
// CHECK-NOT:     llvm.cond_br
// CHECK-COUNT-64: llvm.load {{.*}} : !llvm.ptr -> i8
// CHECK:         llvm.store {{.*}} : i64, !llvm.ptr
// CHECK-LABEL: llvm.func @lgc_pack_u8
// CHECK:         %[[ROWS:.*]] = llvm.mlir.constant(2 : i64) : i64
// CHECK-NEXT:    llvm.mul %arg3, %[[ROWS]] : i64
lgn.net @explicit classes 1 tau 1.0 attributes {features = 2 : i32, bit_features = array<i32: 1, 0>, bit_thresholds = array<f32: 0.25, 0.75>} {
^bb0(%a: i1, %b: i1):
  %0 = lgn.gate and %a, %b
  lgn.output %0
}

// -----

// Features in fours (8 features, one level): thread gid makes features
// 4 * (gid % 2) .. + 3 for word gid / 2. A full word whose pixels are
// 4-byte aligned loads each sample's four bytes as one i32 (at constant
// offsets s * 8) and splits them with shifts; otherwise the checked path
// loads bytes. The grid is features / 4 x words.
// CHECK-LABEL: llvm.func internal @__lgc_gpu_pack_u8
// CHECK-NEXT:    %[[R2:.*]] = llvm.mlir.constant(2 : i64) : i64
// CHECK-NEXT:    %[[Q:.*]] = llvm.urem %arg4, %[[R2]] : i64
// CHECK:         %[[F:.*]] = llvm.mul %[[Q]], %{{.*}} : i64
// CHECK:         %[[FULL:.*]] = llvm.icmp "ule" %{{.*}}, %arg1 : i64
// CHECK:         %[[ADDR:.*]] = llvm.ptrtoint %arg0 : !llvm.ptr to i64
// CHECK:         %[[LOW:.*]] = llvm.and %[[ADDR]], %{{.*}} : i64
// CHECK:         %[[ALIGNED:.*]] = llvm.icmp "eq" %[[LOW]], %{{.*}} : i64
// CHECK-NEXT:    %[[BOTH:.*]] = llvm.and %[[FULL]], %[[ALIGNED]] : i1
// CHECK-NEXT:    llvm.cond_br %[[BOTH]], ^bb1, ^bb2
// Bytes 0 and 2 are compared in the 16-bit lanes of one register, 1 and 3
// in those of another (+ (256 - 128) * 0x10001), and both bits go to the
// sample's place in a register per 16 samples: features 0 and 1 in its low
// 16 bits, 2 and 3 in its high ones (mask 0x10001 << s).
// CHECK:       ^bb1:
// CHECK-NEXT:    llvm.addrspacecast %arg0 : !llvm.ptr to !llvm.ptr<1>
// CHECK:         llvm.load %{{.*}} invariant {alignment = 4 : i64} : !llvm.ptr<1> -> i32
// CHECK-NEXT:    %[[EVEN:.*]] = llvm.mlir.constant(16711935 : i32) : i32
// CHECK-NEXT:    llvm.and %{{.*}}, %[[EVEN]] : i32
// CHECK-NEXT:    llvm.mlir.constant(0 : i32) : i32
// CHECK-NEXT:    %[[SEL:.*]] = llvm.mlir.constant(17217 : i32) : i32
// CHECK-NEXT:    llvm.call_intrinsic "llvm.nvvm.prmt"(%{{.*}}, %{{.*}}, %[[SEL]])
// CHECK:         %[[C:.*]] = llvm.mlir.constant(8388736 : i32) : i32
// CHECK-NEXT:    llvm.add %{{.*}}, %[[C]] : i32
// CHECK:         llvm.mlir.constant(65537 : i32) : i32
// CHECK:         llvm.getelementptr %{{.*}}[8] : (!llvm.ptr<1>) -> !llvm.ptr<1>, i8
// CHECK-NEXT:    llvm.load %{{.*}} invariant {alignment = 4 : i64} : !llvm.ptr<1> -> i32
// CHECK:         llvm.mlir.constant(131074 : i32) : i32
// The pieces: features 0 and 1 from the low 16 bits, 2 and 3 the high.
// CHECK:         llvm.mlir.constant(65535 : i32) : i32
// CHECK:         llvm.mlir.constant(-65536 : i32) : i32
// CHECK:         llvm.br ^bb3(
// CHECK:       ^bb2:
// CHECK:       ^bb3(
// CHECK-COUNT-4: llvm.store
// CHECK-NEXT:    llvm.return
// The checked loop: each sample's four bytes, one load each.
// CHECK-COUNT-4: llvm.load {{.*}} : !llvm.ptr -> i8
// CHECK-NOT:     llvm.load
// CHECK:         llvm.br ^
// CHECK-LABEL: llvm.func @lgc_pack_u8
// CHECK:         %[[ROWS:.*]] = llvm.mlir.constant(2 : i64) : i64
// CHECK-NEXT:    llvm.mul %arg3, %[[ROWS]] : i64
lgn.net @fours classes 1 tau 1.0 attributes {features = 8 : i32, levels = array<f32: 0.5>} {
^bb0(%a0: i1, %a1: i1, %a2: i1, %a3: i1, %a4: i1, %a5: i1, %a6: i1, %a7: i1):
  %0 = lgn.gate xor %a0, %a7
  lgn.output %0
}
