// RUN: lgc-opt %s -split-input-file -verify-diagnostics -allow-unregistered-dialect

// expected-error@+1 {{'lgn.net' op expects a positive, finite tau, found -1}}
lgn.net @bad_tau classes 1 tau -1.0 {
^bb0(%x: i1):
  lgn.output %x
}

// -----

// expected-error@+1 {{attribute 'classes' failed to satisfy constraint}}
lgn.net @no_classes classes 0 tau 1.0 {
^bb0(%x: i1):
  lgn.output %x
}

// -----

// expected-error@+1 {{expects 'bit_features' and 'bit_thresholds' to be given together}}
lgn.net @half_encoding classes 1 tau 1.0 attributes {features = 1 : i32, bit_features = array<i32: 0>} {
^bb0(%x: i1):
  lgn.output %x
}

// -----

// expected-error@+1 {{expects 'features' only with an input encoding}}
lgn.net @stray_features classes 1 tau 1.0 attributes {features = 1 : i32} {
^bb0(%x: i1):
  lgn.output %x
}

// -----

// expected-error@+1 {{expects 'features' with an input encoding}}
lgn.net @no_features classes 1 tau 1.0 attributes {bit_features = array<i32: 0>, bit_thresholds = array<f32: 0.5>} {
^bb0(%x: i1):
  lgn.output %x
}

// -----

// expected-error@+1 {{expects a positive 'features', found 0}}
lgn.net @zero_features classes 1 tau 1.0 attributes {features = 0 : i32, bit_features = array<i32: 0>, bit_thresholds = array<f32: 0.5>} {
^bb0(%x: i1):
  lgn.output %x
}

// -----

// expected-error@+1 {{expects 'bit_features' (2) and 'bit_thresholds' (1) of equal length}}
lgn.net @ragged classes 1 tau 1.0 attributes {features = 2 : i32, bit_features = array<i32: 0, 1>, bit_thresholds = array<f32: 0.5>} {
^bb0(%x: i1, %y: i1):
  lgn.output %x
}

// -----

// expected-error@+1 {{input bit 1 reads feature 5 of 2}}
lgn.net @feature_range classes 1 tau 1.0 attributes {features = 2 : i32, bit_features = array<i32: 0, 5>, bit_thresholds = array<f32: 0.5, 0.5>} {
^bb0(%x: i1, %y: i1):
  lgn.output %x
}

// -----

// expected-error@+1 {{input bit 0 has a NaN threshold}}
lgn.net @nan_threshold classes 1 tau 1.0 attributes {features = 1 : i32, bit_features = array<i32: 0>, bit_thresholds = array<f32: 0x7FC00000>} {
^bb0(%x: i1):
  lgn.output %x
}

// -----

// expected-error@+1 {{expects 'metadata' as key/value pairs, found 3 strings}}
lgn.net @odd_metadata classes 1 tau 1.0 attributes {metadata = ["a", "b", "c"]} {
^bb0(%x: i1):
  lgn.output %x
}

// -----

// expected-error@+1 {{has an encoding for 1 input bits but 2 inputs}}
lgn.net @encoding_size classes 1 tau 1.0 attributes {features = 1 : i32, bit_features = array<i32: 0>, bit_thresholds = array<f32: 0.5>} {
^bb0(%x: i1, %y: i1):
  lgn.output %x
}

// -----

// expected-error@+1 {{expects at least one input bit}}
lgn.net @no_inputs classes 1 tau 1.0 {
  %c = lgn.constant true
  lgn.output %c
}

// -----

// expected-error@+1 {{expects i1 input bits, found 'i32' for input 1}}
lgn.net @wide_input classes 1 tau 1.0 {
^bb0(%x: i1, %y: i32):
  lgn.output %x
}

// -----

// expected-error@+1 {{expects its body to end in 'lgn.output'}}
lgn.net @foreign_terminator classes 1 tau 1.0 {
^bb0(%x: i1):
  "foreign.yield"(%x) : (i1) -> ()
}

// -----

lgn.net @foreign_op classes 1 tau 1.0 {
^bb0(%x: i1):
  // expected-error@+1 {{'foreign.op' op is not allowed inside 'lgn.net'}}
  "foreign.op"() : () -> ()
  lgn.output %x
}

// -----

// expected-error@+1 {{expects at least one output bit}}
lgn.net @no_outputs classes 1 tau 1.0 {
^bb0(%x: i1):
  lgn.output
}

// -----

// expected-error@+1 {{has 3 output bits, not divisible into 2 classes}}
lgn.net @indivisible classes 2 tau 1.0 {
^bb0(%x: i1):
  lgn.output %x, %x, %x
}

// -----

lgn.net @negative_layer classes 1 tau 1.0 {
^bb0(%x: i1):
  // expected-error@+1 {{'lgn.gate' op expects a non-negative layer, found -2}}
  %0 = lgn.gate and %x, %x layer -2
  lgn.output %0
}

// -----

lgn.net @wide_operand classes 1 tau 1.0 {
^bb0(%x: i1, %y: i32):
  // expected-error@+1 {{operand #1 must be 1-bit signless integer}}
  %0 = "lgn.gate"(%x, %y) <{kind = 1 : i32}> : (i1, i32) -> i1
  lgn.output %0
}

// -----

lgn.net @kind_range classes 1 tau 1.0 {
^bb0(%x: i1):
  // expected-error@+1 {{Invalid attribute `kind` in property conversion}}
  %0 = "lgn.gate"(%x, %x) <{kind = 16 : i32}> : (i1, i1) -> i1
  lgn.output %0
}

// -----

lgn.net @unknown_kind classes 1 tau 1.0 {
^bb0(%x: i1):
  // expected-error@+1 {{expected string or keyword containing one of the following enum values for attribute 'kind'}}
  %0 = lgn.gate nand %x, %x
  lgn.output %0
}

// -----

// expected-error@+1 {{'lgn.output' op expects parent op 'lgn.net'}}
lgn.output

// -----

// expected-error@+1 {{expects either 'levels' or 'bit_features' and 'bit_thresholds', not both}}
lgn.net @two_encodings classes 1 tau 1.0 attributes {features = 1 : i32, levels = array<f32: 0.5>, bit_features = array<i32: 0>, bit_thresholds = array<f32: 0.5>} {
^bb0(%x: i1):
  lgn.output %x
}

// -----

// expected-error@+1 {{expects 'features' with an input encoding}}
lgn.net @levels_no_features classes 1 tau 1.0 attributes {levels = array<f32: 0.5>} {
^bb0(%x: i1):
  lgn.output %x
}

// -----

// expected-error@+1 {{expects at least one level}}
lgn.net @no_levels classes 1 tau 1.0 attributes {features = 1 : i32, levels = array<f32>} {
^bb0(%x: i1):
  lgn.output %x
}

// -----

// expected-error@+1 {{level 1 is NaN}}
lgn.net @nan_level classes 1 tau 1.0 attributes {features = 1 : i32, levels = array<f32: 0.5, 0x7FC00000>} {
^bb0(%x: i1, %y: i1):
  lgn.output %x
}

// -----

// expected-error@+1 {{has 2 levels over 2 features for 3 inputs}}
lgn.net @levels_size classes 1 tau 1.0 attributes {features = 2 : i32, levels = array<f32: 0.25, 0.75>} {
^bb0(%x: i1, %y: i1, %z: i1):
  lgn.output %x
}

// -----

lgn.net @conv_inputs classes 1 tau 1.0 {
^bb0(%a: i1, %b: i1, %c: i1):
  // expected-error@+1 {{'lgn.conv' op expects 1x2x2 = 4 inputs, found 3}}
  %r:1 = lgn.conv(%a, %b, %c) {channels = 1 : i32, height = 2 : i32, width = 2 : i32, kernel = 2 : i32, stride = 1 : i32, padding = 0 : i32, leaves = array<i32: 0, 0, 0, 0, 1, 1>} -> 1 {
  ^bb0(%x: i1, %y: i1):
    %g = lgn.gate and %x, %y
    lgn.yield %g
  }
  lgn.output %r
}

// -----

lgn.net @conv_results classes 1 tau 1.0 {
^bb0(%a: i1, %b: i1, %c: i1, %d: i1):
  // expected-error@+1 {{'lgn.conv' op expects 1 results (1x1x1), found 2}}
  %r:2 = lgn.conv(%a, %b, %c, %d) {channels = 1 : i32, height = 2 : i32, width = 2 : i32, kernel = 2 : i32, stride = 1 : i32, padding = 0 : i32, leaves = array<i32: 0, 0, 0, 0, 1, 1>} -> 2 {
  ^bb0(%x: i1, %y: i1):
    %g = lgn.gate and %x, %y
    lgn.yield %g
  }
  lgn.output %r#0
}

// -----

lgn.net @conv_leaf classes 1 tau 1.0 {
^bb0(%a: i1, %b: i1, %c: i1, %d: i1):
  // expected-error@+1 {{'lgn.conv' op leaf 1 (0, 2, 1) is outside the 1x2x2 receptive field}}
  %r:1 = lgn.conv(%a, %b, %c, %d) {channels = 1 : i32, height = 2 : i32, width = 2 : i32, kernel = 2 : i32, stride = 1 : i32, padding = 0 : i32, leaves = array<i32: 0, 0, 0, 0, 2, 1>} -> 1 {
  ^bb0(%x: i1, %y: i1):
    %g = lgn.gate and %x, %y
    lgn.yield %g
  }
  lgn.output %r
}

// -----

lgn.net @conv_arguments classes 1 tau 1.0 {
^bb0(%a: i1, %b: i1, %c: i1, %d: i1):
  // expected-error@+1 {{'lgn.conv' op has 1 leaf arguments for 2 leaves}}
  %r:1 = lgn.conv(%a, %b, %c, %d) {channels = 1 : i32, height = 2 : i32, width = 2 : i32, kernel = 2 : i32, stride = 1 : i32, padding = 0 : i32, leaves = array<i32: 0, 0, 0, 0, 1, 1>} -> 1 {
  ^bb0(%x: i1):
    lgn.yield %x
  }
  lgn.output %r
}

// -----

lgn.net @conv_padding classes 1 tau 1.0 {
^bb0(%a: i1, %b: i1, %c: i1, %d: i1):
  // expected-error@+1 {{'lgn.conv' op expects padding 2 smaller than the kernel 2}}
  %r:1 = lgn.conv(%a, %b, %c, %d) {channels = 1 : i32, height = 2 : i32, width = 2 : i32, kernel = 2 : i32, stride = 1 : i32, padding = 2 : i32, leaves = array<i32: 0, 0, 0, 0, 1, 1>} -> 1 {
  ^bb0(%x: i1, %y: i1):
    %g = lgn.gate and %x, %y
    lgn.yield %g
  }
  lgn.output %r
}

// -----

lgn.net @conv_body classes 1 tau 1.0 {
^bb0(%a: i1, %b: i1, %c: i1, %d: i1):
  %r:1 = lgn.conv(%a, %b, %c, %d) {channels = 1 : i32, height = 2 : i32, width = 2 : i32, kernel = 2 : i32, stride = 1 : i32, padding = 0 : i32, leaves = array<i32: 0, 0, 0, 0, 1, 1>} -> 1 {
  ^bb0(%x: i1, %y: i1):
    // expected-error@+1 {{'lgn.or_pool' op is not allowed inside 'lgn.conv' (only lgn.gate and lgn.constant are)}}
    %p = lgn.or_pool(%x) {channels = 1 : i32, height = 1 : i32, width = 1 : i32, kernel = 1 : i32, stride = 1 : i32, padding = 0 : i32} -> 1
    lgn.yield %p
  }
  lgn.output %r
}

// -----

lgn.net @yield_outside classes 1 tau 1.0 {
^bb0(%a: i1):
  // expected-error@+1 {{'lgn.yield' op expects parent op 'lgn.conv'}}
  lgn.yield %a
}

// -----

lgn.net @pool_window classes 1 tau 1.0 {
^bb0(%a: i1, %b: i1):
  // expected-error@+1 {{'lgn.or_pool' op has a 3x3 window that does not fit the 1x2 image}}
  %p = lgn.or_pool(%a, %b) {channels = 1 : i32, height = 1 : i32, width = 2 : i32, kernel = 3 : i32, stride = 1 : i32, padding = 0 : i32} -> 1
  lgn.output %p
}

// -----

lgn.net @pool_results classes 1 tau 1.0 {
^bb0(%a: i1, %b: i1, %c: i1, %d: i1):
  // expected-error@+1 {{'lgn.or_pool' op expects 4 results (2x1x2), found 1}}
  %p = lgn.or_pool(%a, %b, %c, %d) {channels = 2 : i32, height = 1 : i32, width = 2 : i32, kernel = 1 : i32, stride = 1 : i32, padding = 0 : i32} -> 1
  lgn.output %p
}
