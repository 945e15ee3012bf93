// RUN: lgc-opt %s --lgn-simplify-blocks | FileCheck %s
// RUN: lgc-opt %s --lgn-simplify-blocks=replace-trivial=false | FileCheck %s --check-prefix=KEEP

// A shared tree folds once for all positions; a tree that folds to a
// constant or to one of its leaves replaces the conv; leaves the folded tree
// no longer reads are dropped.

// The body's and(x, not x) is 0, so or(0, c) is c: the tree is leaf 2, and
// leaves 0 and 1 go.
// CHECK-LABEL: lgn.net @fold_body
// CHECK:         %[[R:.*]]:4 = lgn.conv(%arg0, {{.*}}) {{{.*}}leaves = array<i32: 0, 1, 0, 0, 0, 1>{{.*}}} -> 4 {
// CHECK-NEXT:    ^bb0(%[[C:.*]]: i1, %[[D:.*]]: i1):
// CHECK-NEXT:      %[[X:.*]] = lgn.gate xor %[[C]], %[[D]]
// CHECK-NEXT:      lgn.yield %[[X]]
// CHECK-NEXT:    }
lgn.net @fold_body classes 1 tau 1.0 {
^bb0(%i0: i1, %i1: i1, %i2: i1, %i3: i1, %i4: i1, %i5: i1, %i6: i1, %i7: i1, %i8: i1):
  %r:4 = lgn.conv(%i0, %i1, %i2, %i3, %i4, %i5, %i6, %i7, %i8) {channels = 1 : i32, height = 3 : i32, width = 3 : i32, kernel = 2 : i32, stride = 1 : i32, padding = 0 : i32, leaves = array<i32: 0, 0, 0, 0, 1, 1, 0, 1, 0, 0, 0, 1>} -> 4 {
  ^bb0(%a: i1, %b: i1, %c: i1, %d: i1):
    %na = lgn.gate not_a %a, %a
    %z = lgn.gate and %a, %na
    %y = lgn.gate xor %c, %d
    %o = lgn.gate or %z, %y
    lgn.yield %o
  }
  lgn.output %r#0, %r#1, %r#2, %r#3
}

// A tree equal to one constant: every position is that constant.
// CHECK-LABEL: lgn.net @constant_tree
// CHECK-NEXT:  ^bb0(
// CHECK-NEXT:    %[[T:.*]] = lgn.constant true
// CHECK-NEXT:    lgn.output %[[T]], %[[T]], %[[T]], %[[T]]
// For position loops (replace-trivial=false) it stays a conv of no leaves.
// KEEP-LABEL: lgn.net @constant_tree
// KEEP:         %[[R:.*]]:4 = lgn.conv(%arg0, {{.*}}) {{{.*}}leaves = array<i32>{{.*}}} -> 4 {
// KEEP-NEXT:      %[[T:.*]] = lgn.constant true
// KEEP-NEXT:      lgn.yield %[[T]]
// KEEP-NEXT:    }
// KEEP-NEXT:    lgn.output %[[R]]#0, %[[R]]#1, %[[R]]#2, %[[R]]#3
lgn.net @constant_tree classes 1 tau 1.0 {
^bb0(%i0: i1, %i1: i1, %i2: i1, %i3: i1, %i4: i1, %i5: i1, %i6: i1, %i7: i1, %i8: i1):
  %r:4 = lgn.conv(%i0, %i1, %i2, %i3, %i4, %i5, %i6, %i7, %i8) {channels = 1 : i32, height = 3 : i32, width = 3 : i32, kernel = 2 : i32, stride = 1 : i32, padding = 0 : i32, leaves = array<i32: 0, 0, 0, 0, 1, 1>} -> 4 {
  ^bb0(%a: i1, %b: i1):
    %x = lgn.gate implied_by %a, %a
    lgn.yield %x
  }
  lgn.output %r#0, %r#1, %r#2, %r#3
}

// A tree equal to its leaf 1 (offset (1, 1), padding 1): every position is
// the input that leaf reads there, false on the padding.
// CHECK-LABEL: lgn.net @leaf_tree
// CHECK-NEXT:  ^bb0(%[[I0:.*]]: i1, %[[I1:.*]]: i1, %[[I2:.*]]: i1, %[[I3:.*]]: i1):
// CHECK-NEXT:    %[[F:.*]] = lgn.constant false
// CHECK-NEXT:    lgn.output %[[I0]], %[[I1]], %[[F]], %[[I2]], %[[I3]], %[[F]], %[[F]], %[[F]], %[[F]]
// For position loops it stays a conv reading that one leaf.
// KEEP-LABEL: lgn.net @leaf_tree
// KEEP:         %[[R:.*]]:9 = lgn.conv(%arg0, {{.*}}) {{{.*}}leaves = array<i32: 0, 1, 1>{{.*}}} -> 9 {
// KEEP-NEXT:    ^bb0(%[[B:.*]]: i1):
// KEEP-NEXT:      lgn.yield %[[B]]
// KEEP-NEXT:    }
// KEEP-NEXT:    lgn.output %[[R]]#0,
lgn.net @leaf_tree classes 1 tau 1.0 {
^bb0(%i0: i1, %i1: i1, %i2: i1, %i3: i1):
  %r:9 = lgn.conv(%i0, %i1, %i2, %i3) {channels = 1 : i32, height = 2 : i32, width = 2 : i32, kernel = 2 : i32, stride = 1 : i32, padding = 1 : i32, leaves = array<i32: 0, 0, 0, 0, 1, 1>} -> 9 {
  ^bb0(%a: i1, %b: i1):
    %x = lgn.gate b %a, %b
    lgn.yield %x
  }
  lgn.output %r#0, %r#1, %r#2, %r#3, %r#4, %r#5, %r#6, %r#7, %r#8
}
