// xgenmm-gpu-expand-math refuses what it cannot lower without libdevice.
// RUN: xgenmm-opt %s --verify-diagnostics --xgenmm-gpu-expand-math -o /dev/null

// A math function with no libdevice-free lowering is an error, not a
// silent libdevice call.
func.func @unsupported(%x: f64) -> f64 {
  // expected-error @+1 {{'math.exp' op xgenmm-gpu-expand-math: no lowering of this math function for the GPU without libdevice (type 'f64')}}
  %r = math.exp %x : f64
  return %r : f64
}
