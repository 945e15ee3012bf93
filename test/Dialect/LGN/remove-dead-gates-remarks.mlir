// RUN: lgc-opt %s --lgn-remove-dead-gates=report-unused-inputs -verify-diagnostics -split-input-file | FileCheck %s

// expected-remark@+1 {{2 of 3 inputs are unused}}
lgn.net @two_unused classes 1 tau 1.0 {
^bb0(%x: i1, %y: i1, %z: i1):
  %0 = lgn.gate xor %x, %y
  lgn.output %x
}

// -----

// No remark when every input is read.
// CHECK-LABEL: lgn.net @all_used
lgn.net @all_used classes 1 tau 1.0 {
^bb0(%x: i1, %y: i1):
  %0 = lgn.gate xor %x, %y
  lgn.output %0
}
