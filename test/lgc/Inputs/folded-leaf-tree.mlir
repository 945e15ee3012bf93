// A conv whose tree folds to its leaf 1 (b a, b = b), padded by 1.
lgn.net @leaf_tree classes 1 tau 1.0 {
^bb0(%i0: i1, %i1: i1, %i2: i1, %i3: i1):
  %r:9 = lgn.conv(%i0, %i1, %i2, %i3) {channels = 1 : i32, height = 2 : i32, width = 2 : i32, kernel = 2 : i32, stride = 1 : i32, padding = 1 : i32, leaves = array<i32: 0, 0, 0, 0, 1, 1>} -> 9 {
  ^bb0(%a: i1, %b: i1):
    %x = lgn.gate b %a, %b
    lgn.yield %x
  }
  %g = lgn.gate and %r#0, %r#4
  lgn.output %g, %r#8
}
