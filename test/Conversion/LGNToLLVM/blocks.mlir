// RUN: lgc-opt %s --convert-lgn-to-llvm -verify-diagnostics

// The conversion pass lowers gates; position loops are the straight-to-LLVM
// IR path's (lgc --blocks=loop), so blocks must be unrolled first.
lgn.net @conv classes 1 tau 1.0 {
^bb0(%i0: i1, %i1: i1, %i2: i1, %i3: i1):
  // expected-error@+1 {{'lgn.conv' op must be unrolled to gates before convert-lgn-to-llvm (lgn-unroll-blocks)}}
  %r:1 = lgn.conv(%i0, %i1, %i2, %i3) {channels = 1 : i32, height = 2 : i32, width = 2 : i32, kernel = 2 : i32, stride = 1 : i32, padding = 0 : i32, leaves = array<i32: 0, 0, 0, 0, 1, 1>} -> 1 {
  ^bb0(%a: i1, %b: i1):
    %x = lgn.gate and %a, %b
    lgn.yield %x
  }
  lgn.output %r#0
}
