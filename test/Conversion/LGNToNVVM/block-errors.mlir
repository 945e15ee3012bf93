// RUN: lgc-opt %s --convert-lgn-to-nvvm="block-kernel=true block-words=3" -verify-diagnostics

// Words per block divide a tile's 32 and are at most 8.
// expected-error @+1 {{block-words must be 0, 1, 2, 4 or 8, not 3}}
lgn.net @net classes 1 tau 1.0 {
^bb0(%a: i1, %b: i1):
  %0 = lgn.gate and %a, %b
  lgn.output %0, %a
}
