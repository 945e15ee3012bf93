// A conv whose tree folds to a constant (implied_by a, a is true), one of
// four leaves, and one of two leaves and three gates (more gates than a
// tree of its leaves has), then a pool over the three: folded with blocks
// kept, the first is a conv of no leaves.
lgn.net @constant_tree classes 1 tau 1.0 {
^bb0(%i0: i1, %i1: i1, %i2: i1, %i3: i1, %i4: i1, %i5: i1, %i6: i1, %i7: i1, %i8: i1):
  %r:4 = lgn.conv(%i0, %i1, %i2, %i3, %i4, %i5, %i6, %i7, %i8) {channels = 1 : i32, height = 3 : i32, width = 3 : i32, kernel = 2 : i32, stride = 1 : i32, padding = 0 : i32, leaves = array<i32: 0, 0, 0, 0, 1, 1>} -> 4 {
  ^bb0(%a: i1, %b: i1):
    %x = lgn.gate implied_by %a, %a
    lgn.yield %x
  }
  %s:4 = lgn.conv(%i0, %i1, %i2, %i3, %i4, %i5, %i6, %i7, %i8) {channels = 1 : i32, height = 3 : i32, width = 3 : i32, kernel = 2 : i32, stride = 1 : i32, padding = 0 : i32, leaves = array<i32: 0, 0, 0, 0, 1, 0, 0, 1, 1, 0, 1, 0>} -> 4 {
  ^bb0(%a: i1, %b: i1, %c: i1, %d: i1):
    %x = lgn.gate and %a, %b
    %y = lgn.gate xor %c, %d
    %z = lgn.gate or %x, %y
    lgn.yield %z
  }
  %t:4 = lgn.conv(%i0, %i1, %i2, %i3, %i4, %i5, %i6, %i7, %i8) {channels = 1 : i32, height = 3 : i32, width = 3 : i32, kernel = 2 : i32, stride = 1 : i32, padding = 0 : i32, leaves = array<i32: 0, 0, 1, 0, 1, 0>} -> 4 {
  ^bb0(%a: i1, %b: i1):
    %x = lgn.gate and %a, %b
    %y = lgn.gate xor %a, %b
    %z = lgn.gate implies %x, %y
    lgn.yield %z
  }
  %p:3 = lgn.or_pool(%r#0, %r#1, %r#2, %r#3, %s#0, %s#1, %s#2, %s#3, %t#0, %t#1, %t#2, %t#3) {channels = 3 : i32, height = 2 : i32, width = 2 : i32, kernel = 2 : i32, stride = 2 : i32, padding = 0 : i32} -> 3
  %g = lgn.gate xor %p#0, %p#1
  lgn.output %g, %p#1, %p#2
}
