// RUN: lgc-opt %s --convert-lgn-to-llvm -verify-diagnostics

lgn.net @first classes 1 tau 1.0 {
^bb0(%a: i1):
  lgn.output %a
}

// expected-error@+1 {{'lgn.net' op is the second net in this module; lower one net per module}}
lgn.net @second classes 1 tau 1.0 {
^bb0(%a: i1):
  lgn.output %a
}
