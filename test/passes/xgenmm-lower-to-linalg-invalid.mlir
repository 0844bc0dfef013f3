// RUN: xgenmm-opt %s -xgenmm-lower-to-linalg -verify-diagnostics

// Non-f32 activations are refused with a clear message.
func.func @bf16_activation(%x: tensor<4x8xbf16>) -> tensor<4x8xbf16> {
  // expected-error @+1 {{'xgenmm.gelu' op has a 'bf16' activation; the CPU lowering computes in f32}}
  %g = xgenmm.gelu tanh %x : tensor<4x8xbf16>
  return %g : tensor<4x8xbf16>
}
