// RUN: lgc-opt %s --convert-lgn-to-llvm=vector-words=3 -split-input-file -verify-diagnostics

// expected-error@+1 {{'lgn.net' op cannot be lowered with 3 words per vector (1, 2, 4 or 8)}}
lgn.net @odd_width classes 1 tau 1.0 {
^bb0(%a: i1):
  lgn.output %a
}
