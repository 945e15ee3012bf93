// A conv whose operands are no run of consecutive nodes (the inputs in
// reverse order): the .lgn format cannot say that without unrolling.
lgn.net @reversed classes 1 tau 1.0 {
^bb0(%i0: i1, %i1: i1, %i2: i1, %i3: i1):
  %r:1 = lgn.conv(%i3, %i2, %i1, %i0) {channels = 1 : i32, height = 2 : i32, width = 2 : i32, kernel = 2 : i32, stride = 1 : i32, padding = 0 : i32, leaves = array<i32: 0, 0, 0, 0, 1, 1>} -> 1 {
  ^bb0(%a: i1, %b: i1):
    %x = lgn.gate xor %a, %b
    lgn.yield %x
  }
  lgn.output %r#0
}
