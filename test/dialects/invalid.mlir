// Every verifier message of the xgenmm dialect.
// RUN: xgenmm-opt %s -split-input-file -verify-diagnostics

//===--- #xgenmm.source ---===//

// expected-error @+1 {{weight source needs a file name}}
%0 = xgenmm.weight "w" from [#xgenmm.source<"", 0, f32>] : tensor<4xf32>

// -----

// expected-error @+1 {{weight source offset must be non-negative, got -8}}
%0 = xgenmm.weight "w" from [#xgenmm.source<"m.safetensors", -8, f32>] : tensor<4xf32>

// -----

// expected-error @+1 {{weight source dtype must be f32, bf16 or f16, got 'i8'}}
%0 = xgenmm.weight "w" from [#xgenmm.source<"m.safetensors", 0, i8>] : tensor<4xf32>

//===--- xgenmm.weight ---===//

// -----

// expected-error @+1 {{needs a non-empty tensor name}}
%0 = xgenmm.weight "" : tensor<4xf32>

// -----

// expected-error @+1 {{stacked weight name 'layers.w' must contain '{}' where the layer index goes}}
%0 = xgenmm.weight "layers.w" layers 2 : tensor<2x4xf32>

// -----

// expected-error @+1 {{weight name 'a.{}.b.{}' must contain '{}' only once}}
%0 = xgenmm.weight "a.{}.b.{}" layers 2 : tensor<2x4xf32>

// -----

// expected-error @+1 {{stacked weight type 'tensor<3x4xf32>' must have a leading dimension equal to the layer count 2}}
%0 = xgenmm.weight "a.{}.w" layers 2 : tensor<3x4xf32>

// -----

// expected-error @+1 {{weight name 'a.{}.w' contains '{}' but the weight has no layer count}}
%0 = xgenmm.weight "a.{}.w" : tensor<3x4xf32>

// -----

// expected-error @+1 {{expects 2 source(s), one per layer, got 1}}
%0 = xgenmm.weight "a.{}.w" layers 2 from [#xgenmm.source<"m.safetensors", 0, f32>] : tensor<2x4xf32>

// -----

// expected-error @+1 {{'xgenmm.weight' op result #0 must be statically shaped tensor}}
%0 = xgenmm.weight "w" : tensor<?xf32>

//===--- #xgenmm.quant and quantized weights ---===//

// -----

// expected-error @+1 {{quantization scheme must be int8 or int4, got 'int3'}}
%0 = xgenmm.weight "w" quant <"int3", 32, "values"> : tensor<64x8xi8>

// -----

// expected-error @+1 {{quantization group size must be positive, got 0}}
%0 = xgenmm.weight "w" quant <"int8", 0, "values"> : tensor<64x8xi8>

// -----

// expected-error @+1 {{quantized weight part must be values, scales or dequantized, got 'zeros'}}
%0 = xgenmm.weight "w" quant <"int8", 32, "zeros"> : tensor<64x8xi8>

// -----

// expected-error @+1 {{quantized values layout must be kmajor or vnni, got 'nk'}}
%0 = xgenmm.weight "w" quant <"int4", 32, "values", "nk"> : tensor<32x8xi8>

// -----

// expected-error @+1 {{the vnni layout holds values in groups that are a multiple of 8, got int4 in groups of 4}}
%0 = xgenmm.weight "w" quant <"int4", 4, "values", "vnni"> : tensor<1x8x64xi8>

// -----

// expected-error @+1 {{quantization scales must be f32 (f16 in the vnni layout), got 'tensor<1x2x16xf32>'}}
%0 = xgenmm.weight "w" quant <"int4", 32, "scales", "vnni"> : tensor<1x2x16xf32>

// -----

// expected-error @+1 {{VNNI values and scales are panels, [out / P, in / 8, 4 P] and [out / P, in / group, P] per layer, got 'tensor<32x16xi8>'}}
%0 = xgenmm.weight "w" quant <"int4", 32, "values", "vnni"> : tensor<32x16xi8>

// -----

// expected-error @+1 {{an integer weight type needs a #xgenmm.quant part, got 'tensor<64x8xi8>'}}
%0 = xgenmm.weight "w" : tensor<64x8xi8>

// -----

// expected-error @+1 {{a quantized weight must be a matrix per layer, got 'tensor<2x64x8xi8>'}}
%0 = xgenmm.weight "w" quant <"int8", 32, "values"> : tensor<2x64x8xi8>

// -----

// expected-error @+1 {{quantized values must be i8, got 'tensor<64x8xf32>'}}
%0 = xgenmm.weight "w" quant <"int8", 32, "values"> : tensor<64x8xf32>

// -----

// expected-error @+1 {{quantization scales must be f32 (f16 in the vnni layout), got 'tensor<2x8xi8>'}}
%0 = xgenmm.weight "w" quant <"int8", 32, "scales"> : tensor<2x8xi8>

// -----

// expected-error @+1 {{a dequantized weight must be a float tensor, got 'tensor<8x64xi8>'}}
%0 = xgenmm.weight "w" quant <"int8", 32, "dequantized"> : tensor<8x64xi8>

// -----

// expected-error @+1 {{in-features 48 of weight 'a.{}.w' are not a multiple of the group size 32}}
%0 = xgenmm.weight "a.{}.w" layers 2 quant <"int8", 32, "values"> : tensor<2x48x8xi8>

// -----

// expected-error @+1 {{int4 quantization groups hold pairs: the group size must be even, got 3}}
%0 = xgenmm.weight "w" quant <"int4", 3, "values"> : tensor<48x8xi8>

// -----

// int4 values hold two in-features per row: 24 rows are 48 in-features.
// expected-error @+1 {{in-features 48 of weight 'w' are not a multiple of the group size 32}}
%0 = xgenmm.weight "w" quant <"int4", 32, "values"> : tensor<24x8xi8>

//===--- xgenmm.patch_embed ---===//

// -----

func.func @f(%px: tensor<3x28x28xf32>, %w: tensor<8x3x14x14xf32>, %b: tensor<8xf32>, %p: tensor<4x8xf32>) {
  // expected-error @+1 {{pixels must be [N, channels, height, width], got [3, 28, 28]}}
  %e = xgenmm.patch_embed %px, %w, %b, %p : tensor<3x28x28xf32>, tensor<8x3x14x14xf32>, tensor<8xf32>, tensor<4x8xf32> -> tensor<1x4x8xf32>
  return
}

// -----

func.func @f(%px: tensor<1x3x28x28xf32>, %w: tensor<8x3x14x7xf32>, %b: tensor<8xf32>, %p: tensor<4x8xf32>) {
  // expected-error @+1 {{weight must be [C, channels, p, p], got [8, 3, 14, 7]}}
  %e = xgenmm.patch_embed %px, %w, %b, %p : tensor<1x3x28x28xf32>, tensor<8x3x14x7xf32>, tensor<8xf32>, tensor<4x8xf32> -> tensor<1x4x8xf32>
  return
}

// -----

func.func @f(%px: tensor<1x4x28x28xf32>, %w: tensor<8x3x14x14xf32>, %b: tensor<8xf32>, %p: tensor<4x8xf32>) {
  // expected-error @+1 {{pixels have 4 channels but the weight expects 3}}
  %e = xgenmm.patch_embed %px, %w, %b, %p : tensor<1x4x28x28xf32>, tensor<8x3x14x14xf32>, tensor<8xf32>, tensor<4x8xf32> -> tensor<1x4x8xf32>
  return
}

// -----

func.func @f(%px: tensor<1x3x28x28xf32>, %w: tensor<8x3x14x14xf32>, %b: tensor<9xf32>, %p: tensor<4x8xf32>) {
  // expected-error @+1 {{bias has shape [9], expected [8]}}
  %e = xgenmm.patch_embed %px, %w, %b, %p : tensor<1x3x28x28xf32>, tensor<8x3x14x14xf32>, tensor<9xf32>, tensor<4x8xf32> -> tensor<1x4x8xf32>
  return
}

// -----

func.func @f(%px: tensor<1x3x13x28xf32>, %w: tensor<8x3x14x14xf32>, %b: tensor<8xf32>, %p: tensor<4x8xf32>) {
  // expected-error @+1 {{image 28x13 is smaller than one 14x14 patch}}
  %e = xgenmm.patch_embed %px, %w, %b, %p : tensor<1x3x13x28xf32>, tensor<8x3x14x14xf32>, tensor<8xf32>, tensor<4x8xf32> -> tensor<1x4x8xf32>
  return
}

// -----

func.func @f(%px: tensor<1x3x30x30xf32>, %w: tensor<8x3x14x14xf32>, %b: tensor<8xf32>, %p: tensor<9x8xf32>) {
  // expected-error @+1 {{position embedding has shape [9, 8], expected [4, 8]}}
  %e = xgenmm.patch_embed %px, %w, %b, %p : tensor<1x3x30x30xf32>, tensor<8x3x14x14xf32>, tensor<8xf32>, tensor<9x8xf32> -> tensor<1x4x8xf32>
  return
}

// -----

func.func @f(%px: tensor<2x3x28x28xf32>, %w: tensor<8x3x14x14xf32>, %b: tensor<8xf32>, %p: tensor<4x8xf32>) {
  // expected-error @+1 {{result has shape [2, 8, 4], expected [2, 4, 8]}}
  %e = xgenmm.patch_embed %px, %w, %b, %p : tensor<2x3x28x28xf32>, tensor<8x3x14x14xf32>, tensor<8xf32>, tensor<4x8xf32> -> tensor<2x8x4xf32>
  return
}

// -----

func.func @f(%px: tensor<2x3x28x28xf32>, %w: tensor<8x3x14x14xf32>, %b: tensor<8xf32>, %p: tensor<4x8xf32>) {
  // expected-error @+1 {{result element type 'bf16' differs from input element type 'f32'}}
  %e = xgenmm.patch_embed %px, %w, %b, %p : tensor<2x3x28x28xf32>, tensor<8x3x14x14xf32>, tensor<8xf32>, tensor<4x8xf32> -> tensor<2x4x8xbf16>
  return
}

//===--- xgenmm.linear ---===//

// -----

func.func @f(%x: tensor<f32>, %w: tensor<4x4xf32>) {
  // expected-error @+1 {{input must have rank >= 1}}
  %y = xgenmm.linear %x, %w : tensor<f32>, tensor<4x4xf32> -> tensor<4xf32>
  return
}

// -----

func.func @f(%x: tensor<?x4xf32>, %w: tensor<4xf32>) {
  // expected-error @+1 {{weight must be [out, in], got [4]}}
  %y = xgenmm.linear %x, %w : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  return
}

// -----

func.func @f(%x: tensor<?x5xf32>, %w: tensor<6x4xf32>) {
  // expected-error @+1 {{input has 5 features but the weight [6, 4] expects 4}}
  %y = xgenmm.linear %x, %w : tensor<?x5xf32>, tensor<6x4xf32> -> tensor<?x6xf32>
  return
}

// -----

func.func @f(%x: tensor<?x4xf32>, %w: tensor<6x4xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{bias has shape [4], expected [6]}}
  %y = xgenmm.linear %x, %w, %b : tensor<?x4xf32>, tensor<6x4xf32>, tensor<4xf32> -> tensor<?x6xf32>
  return
}

// -----

func.func @f(%x: tensor<2x4xf32>, %w: tensor<6x4xf32>) {
  // expected-error @+1 {{result has shape [3, 6], expected [2, 6]}}
  %y = xgenmm.linear %x, %w : tensor<2x4xf32>, tensor<6x4xf32> -> tensor<3x6xf32>
  return
}

// -----

func.func @f(%x: tensor<2x4xf32>, %w: tensor<6x4xi8>) {
  // expected-error @+1 {{operand #1 must be ranked tensor of 32-bit float or bfloat16 type or 16-bit float values}}
  %y = xgenmm.linear %x, %w : tensor<2x4xf32>, tensor<6x4xi8> -> tensor<2x6xf32>
  return
}

//===--- xgenmm.quantized_linear ---===//

// -----

func.func @f(%x: tensor<?x64xf32>, %q: tensor<1x8x64xi8>, %s: tensor<1x2x16xf16>) {
  // expected-error @+1 {{VNNI panels hold values in groups that are a multiple of 8, got bits 4 and group size 4}}
  %y = xgenmm.quantized_linear %x, %q, %s group 4 bits 4 : tensor<?x64xf32>, tensor<1x8x64xi8>, tensor<1x2x16xf16> -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x64xf32>, %q: tensor<1x8x32xi8>, %s: tensor<1x2x8xf16>) {
  // expected-error @+1 {{VNNI panels are 16, 32 or 64 columns (4 P bytes per block), got [1, 8, 32]}}
  %y = xgenmm.quantized_linear %x, %q, %s group 32 bits 4 : tensor<?x64xf32>, tensor<1x8x32xi8>, tensor<1x2x8xf16> -> tensor<?x8xf32>
  return
}

// -----

func.func @f(%x: tensor<?x64xf32>, %q: tensor<2x8x64xi8>, %s: tensor<2x2x16xf32>) {
  // expected-error @+1 {{the scales of VNNI panels must be f16, got 'f32'}}
  %y = xgenmm.quantized_linear %x, %q, %s group 32 bits 4 : tensor<?x64xf32>, tensor<2x8x64xi8>, tensor<2x2x16xf32> -> tensor<?x32xf32>
  return
}

// -----

func.func @f(%x: tensor<?x64xf32>, %q: tensor<2x8x64xi8>, %s: tensor<2x16xf16>) {
  // expected-error @+1 {{scales has shape [2, 16], expected [2, 2, 16]}}
  %y = xgenmm.quantized_linear %x, %q, %s group 32 bits 4 : tensor<?x64xf32>, tensor<2x8x64xi8>, tensor<2x16xf16> -> tensor<?x32xf32>
  return
}

// -----

func.func @f(%x: tensor<?x64xf32>, %q: tensor<64x8xi8>, %s: tensor<2x8xf16>) {
  // expected-error @+1 {{scales must be f32, got 'f16'}}
  %y = xgenmm.quantized_linear %x, %q, %s group 32 : tensor<?x64xf32>, tensor<64x8xi8>, tensor<2x8xf16> -> tensor<?x8xf32>
  return
}

// -----

func.func @f(%x: tensor<?x64xf32>, %q: tensor<64x8xi8>, %s: tensor<2x8xf32>) {
  // expected-error @+1 {{bits must be 8 or 4, got 2}}
  %y = xgenmm.quantized_linear %x, %q, %s group 32 bits 2 : tensor<?x64xf32>, tensor<64x8xi8>, tensor<2x8xf32> -> tensor<?x8xf32>
  return
}

// -----

func.func @f(%x: tensor<?x64xf32>, %q: tensor<32x8xi8>, %s: tensor<2x8xf32>) {
  // expected-error @+1 {{int4 groups hold pairs: the group size must be even, got 33}}
  %y = xgenmm.quantized_linear %x, %q, %s group 33 bits 4 : tensor<?x64xf32>, tensor<32x8xi8>, tensor<2x8xf32> -> tensor<?x8xf32>
  return
}

// -----

func.func @f(%x: tensor<?x64xf32>, %q: tensor<64x8xi8>, %s: tensor<2x8xf32>) {
  // expected-error @+1 {{input has 64 features but the values [64, 8] expect 128 (int4: two per byte)}}
  %y = xgenmm.quantized_linear %x, %q, %s group 32 bits 4 : tensor<?x64xf32>, tensor<64x8xi8>, tensor<2x8xf32> -> tensor<?x8xf32>
  return
}

// -----

func.func @f(%x: tensor<f32>, %q: tensor<64x8xi8>, %s: tensor<2x8xf32>) {
  // expected-error @+1 {{input must have rank >= 1}}
  %y = xgenmm.quantized_linear %x, %q, %s group 32 : tensor<f32>, tensor<64x8xi8>, tensor<2x8xf32> -> tensor<8xf32>
  return
}

// -----

func.func @f(%x: tensor<?x64xf32>, %q: tensor<64xi8>, %s: tensor<2x8xf32>) {
  // expected-error @+1 {{values must be [in, out] (K-major) or VNNI panels [out / P, in / 8 (int8: in / 4), 4 P], got [64]}}
  %y = xgenmm.quantized_linear %x, %q, %s group 32 : tensor<?x64xf32>, tensor<64xi8>, tensor<2x8xf32> -> tensor<?x8xf32>
  return
}

// -----

func.func @f(%x: tensor<?x48xf32>, %q: tensor<48x8xi8>, %s: tensor<2x8xf32>) {
  // expected-error @+1 {{in-features 48 are not a multiple of the group size 32}}
  %y = xgenmm.quantized_linear %x, %q, %s group 32 : tensor<?x48xf32>, tensor<48x8xi8>, tensor<2x8xf32> -> tensor<?x8xf32>
  return
}

// -----

func.func @f(%x: tensor<?x32xf32>, %q: tensor<64x8xi8>, %s: tensor<2x8xf32>) {
  // expected-error @+1 {{input has 32 features but the values [64, 8] expect 64}}
  %y = xgenmm.quantized_linear %x, %q, %s group 32 : tensor<?x32xf32>, tensor<64x8xi8>, tensor<2x8xf32> -> tensor<?x8xf32>
  return
}

// -----

func.func @f(%x: tensor<?x64xf32>, %q: tensor<64x8xi8>, %s: tensor<4x8xf32>) {
  // expected-error @+1 {{scales has shape [4, 8], expected [2, 8]}}
  %y = xgenmm.quantized_linear %x, %q, %s group 32 : tensor<?x64xf32>, tensor<64x8xi8>, tensor<4x8xf32> -> tensor<?x8xf32>
  return
}

// -----

func.func @f(%x: tensor<?x64xf32>, %q: tensor<64x8xi8>, %s: tensor<2x8xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{bias has shape [4], expected [8]}}
  %y = xgenmm.quantized_linear %x, %q, %s, %b group 32 : tensor<?x64xf32>, tensor<64x8xi8>, tensor<2x8xf32>, tensor<4xf32> -> tensor<?x8xf32>
  return
}

// -----

func.func @f(%x: tensor<2x64xf32>, %q: tensor<64x8xi8>, %s: tensor<2x8xf32>) {
  // expected-error @+1 {{result has shape [2, 4], expected [2, 8]}}
  %y = xgenmm.quantized_linear %x, %q, %s group 32 : tensor<2x64xf32>, tensor<64x8xi8>, tensor<2x8xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @f(%x: tensor<2x64xf32>, %q: tensor<64x8xi8>, %s: tensor<2x8xf32>) {
  // expected-error @+1 {{result element type 'bf16' differs from input element type 'f32'}}
  %y = xgenmm.quantized_linear %x, %q, %s group 32 : tensor<2x64xf32>, tensor<64x8xi8>, tensor<2x8xf32> -> tensor<2x8xbf16>
  return
}

//===--- xgenmm.layer_norm / xgenmm.rms_norm ---===//

// -----

func.func @f(%x: tensor<f32>, %g: tensor<1xf32>) {
  // expected-error @+1 {{input must have rank >= 1}}
  %y = xgenmm.rms_norm %x, %g eps 1.0e-5 : tensor<f32>, tensor<1xf32>
  return
}

// -----

func.func @f(%x: tensor<?x8xf32>, %g: tensor<6xf32>) {
  // expected-error @+1 {{gamma has shape [6], expected [8]}}
  %y = xgenmm.rms_norm %x, %g eps 1.0e-5 : tensor<?x8xf32>, tensor<6xf32>
  return
}

// -----

func.func @f(%x: tensor<?x8xf32>, %g: tensor<8xf32>, %b: tensor<8x1xf32>) {
  // expected-error @+1 {{beta has shape [8, 1], expected [8]}}
  %y = xgenmm.layer_norm %x, %g, %b eps 1.0e-5 : tensor<?x8xf32>, tensor<8xf32>, tensor<8x1xf32>
  return
}

// -----

func.func @f(%x: tensor<?x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>) {
  // expected-error @+1 {{epsilon must be positive, got 0}}
  %y = xgenmm.layer_norm %x, %g, %b eps 0.0 : tensor<?x8xf32>, tensor<8xf32>, tensor<8xf32>
  return
}

//===--- xgenmm.add ---===//

// -----

func.func @f(%x: tensor<8xf32>, %y: tensor<2x8xf32>) {
  // expected-error @+1 {{right operand [2, 8] has more dimensions than the left [8]}}
  %z = xgenmm.add %x, %y : tensor<8xf32>, tensor<2x8xf32>
  return
}

// -----

func.func @f(%x: tensor<2x8xf32>, %y: tensor<4xf32>) {
  // expected-error @+1 {{right operand [4] does not broadcast to [2, 8]}}
  %z = xgenmm.add %x, %y : tensor<2x8xf32>, tensor<4xf32>
  return
}

// -----

func.func @f(%x: tensor<2x8xf32>, %y: tensor<8xbf16>) {
  // expected-error @+1 {{operand element types differ: 'f32' and 'bf16'}}
  %z = xgenmm.add %x, %y : tensor<2x8xf32>, tensor<8xbf16>
  return
}

//===--- xgenmm.swiglu ---===//

// -----

func.func @f(%x: tensor<f32>) {
  // expected-error @+1 {{input must have rank >= 1}}
  %y = xgenmm.swiglu %x : tensor<f32> -> tensor<f32>
  return
}

// -----

func.func @f(%x: tensor<?x9xf32>) {
  // expected-error @+1 {{last dimension 9 must be even (gate and up halves)}}
  %y = xgenmm.swiglu %x : tensor<?x9xf32> -> tensor<?x4xf32>
  return
}

// -----

func.func @f(%x: tensor<?x8xf32>) {
  // expected-error @+1 {{result has shape [?, 8], expected [?, 4]}}
  %y = xgenmm.swiglu %x : tensor<?x8xf32> -> tensor<?x8xf32>
  return
}

//===--- xgenmm.split ---===//

// -----

func.func @f(%x: tensor<f32>) {
  // expected-error @+1 {{input must have rank >= 1}}
  %y = xgenmm.split %x : tensor<f32> -> tensor<f32>
  return
}

// -----

func.func @f(%x: tensor<8xf32>) {
  // expected-error @+1 {{needs at least one result}}
  "xgenmm.split"(%x) : (tensor<8xf32>) -> ()
  return
}

// -----

func.func @f(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{result #1 [3, 4] must match the input [2, 8] in all but the last dimension}}
  %a, %b = xgenmm.split %x : tensor<2x8xf32> -> tensor<2x4xf32>, tensor<3x4xf32>
  return
}

// -----

func.func @f(%x: tensor<2x?xf32>) {
  // expected-error @+1 {{result #0 needs a static last dimension}}
  %a, %b = xgenmm.split %x : tensor<2x?xf32> -> tensor<2x?xf32>, tensor<2x4xf32>
  return
}

// -----

func.func @f(%x: tensor<8xf32>) {
  // expected-error @+1 {{result element type 'bf16' differs from input element type 'f32'}}
  %a, %b = xgenmm.split %x : tensor<8xf32> -> tensor<4xf32>, tensor<4xbf16>
  return
}

// -----

func.func @f(%x: tensor<8xf32>) {
  // expected-error @+1 {{result widths add up to 6 but the input is 8 wide}}
  %a, %b, %c = xgenmm.split %x : tensor<8xf32> -> tensor<2xf32>, tensor<2xf32>, tensor<2xf32>
  return
}

//===--- xgenmm.broadcast ---===//

// -----

func.func @f(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{result [8] has fewer dimensions than the input [2, 8]}}
  %y = xgenmm.broadcast %x : tensor<2x8xf32> -> tensor<8xf32>
  return
}

// -----

func.func @f(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{result [3, 2, 4] must end with the input shape [2, 8]}}
  %y = xgenmm.broadcast %x : tensor<2x8xf32> -> tensor<3x2x4xf32>
  return
}

// -----

func.func @f(%x: tensor<8xf32>, %n: index) {
  // expected-error @+1 {{expects 2 size operand(s), one per dynamic new dimension, got 1}}
  %y = xgenmm.broadcast %x [%n] : tensor<8xf32> -> tensor<?x?x8xf32>
  return
}

//===--- xgenmm.rope ---===//

// -----

func.func @f(%x: tensor<8xf32>, %p: index) {
  // expected-error @+1 {{input must be [..., sequence, heads * head_dim]}}
  %y = xgenmm.rope %x at %p heads 2 head_dim 4 theta 1.0e4 : tensor<8xf32>
  return
}

// -----

func.func @f(%x: tensor<?x6xf32>, %p: index) {
  // expected-error @+1 {{head_dim 3 must be even}}
  %y = xgenmm.rope %x at %p heads 2 head_dim 3 theta 1.0e4 : tensor<?x6xf32>
  return
}

// -----

func.func @f(%x: tensor<?x12xf32>, %p: index) {
  // expected-error @+1 {{input width 12 is not heads x head_dim = 2 x 4 = 8}}
  %y = xgenmm.rope %x at %p heads 2 head_dim 4 theta 1.0e4 : tensor<?x12xf32>
  return
}

// -----

func.func @f(%x: tensor<?x8xf32>, %p: index) {
  // expected-error @+1 {{theta must be positive}}
  %y = xgenmm.rope %x at %p heads 2 head_dim 4 theta -1.0 : tensor<?x8xf32>
  return
}

// -----

func.func @f(%x: tensor<?x8xf32>, %p: index) {
  // expected-error @+1 {{attribute 'heads' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %y = xgenmm.rope %x at %p heads 0 head_dim 4 theta 1.0e4 : tensor<?x8xf32>
  return
}

//===--- xgenmm.attention ---===//

// -----

func.func @f(%q: tensor<8xf32>) {
  // expected-error @+1 {{query must be [..., sequence, heads * head_dim]}}
  %o = xgenmm.attention %q, %q, %q heads 2 kv_heads 2 head_dim 4 scale 0.5 : tensor<8xf32>, tensor<8xf32>, tensor<8xf32> -> tensor<8xf32>
  return
}

// -----

func.func @f(%q: tensor<?x8xf32>, %k: tensor<1x?x8xf32>) {
  // expected-error @+1 {{query, key and value must have the same rank}}
  %o = xgenmm.attention %q, %k, %k heads 2 kv_heads 2 head_dim 4 scale 0.5 : tensor<?x8xf32>, tensor<1x?x8xf32>, tensor<1x?x8xf32> -> tensor<?x8xf32>
  return
}

// -----

func.func @f(%q: tensor<?x8xf32>) {
  // expected-error @+1 {{query width 8 is not heads x head_dim = 3 x 4 = 12}}
  %o = xgenmm.attention %q, %q, %q heads 3 kv_heads 3 head_dim 4 scale 0.5 : tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
  return
}

// -----

func.func @f(%q: tensor<?x12xf32>, %k: tensor<?x8xf32>) {
  // expected-error @+1 {{heads 3 is not a multiple of kv_heads 2}}
  %o = xgenmm.attention %q, %k, %k heads 3 kv_heads 2 head_dim 4 scale 0.5 : tensor<?x12xf32>, tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x12xf32>
  return
}

// -----

func.func @f(%q: tensor<?x16xf32>, %k: tensor<?x16xf32>) {
  // expected-error @+1 {{key/value width must be kv_heads x head_dim = 2 x 4 = 8, got 16 and 16}}
  %o = xgenmm.attention %q, %k, %k heads 4 kv_heads 2 head_dim 4 scale 0.5 : tensor<?x16xf32>, tensor<?x16xf32>, tensor<?x16xf32> -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%q: tensor<2x5x8xf32>, %k: tensor<3x5x8xf32>) {
  // expected-error @+1 {{query, key and value batch dimensions differ: [2, 5, 8], [3, 5, 8], [3, 5, 8]}}
  %o = xgenmm.attention %q, %k, %k heads 2 kv_heads 2 head_dim 4 scale 0.5 : tensor<2x5x8xf32>, tensor<3x5x8xf32>, tensor<3x5x8xf32> -> tensor<2x5x8xf32>
  return
}

// -----

func.func @f(%q: tensor<5x8xf32>, %k: tensor<6x8xf32>, %v: tensor<7x8xf32>) {
  // expected-error @+1 {{key and value have different numbers of rows: 6 and 7}}
  %o = xgenmm.attention %q, %k, %v heads 2 kv_heads 2 head_dim 4 scale 0.5 : tensor<5x8xf32>, tensor<6x8xf32>, tensor<7x8xf32> -> tensor<5x8xf32>
  return
}

// -----

func.func @f(%q: tensor<5x8xf32>) {
  // expected-error @+1 {{scale must be positive}}
  %o = xgenmm.attention %q, %q, %q heads 2 kv_heads 2 head_dim 4 scale 0.0 : tensor<5x8xf32>, tensor<5x8xf32>, tensor<5x8xf32> -> tensor<5x8xf32>
  return
}

// -----

func.func @f(%q: tensor<5x8xf32>) {
  // expected-error @+1 {{a sliding window needs causal attention}}
  %o = xgenmm.attention %q, %q, %q heads 2 kv_heads 2 head_dim 4 scale 0.5 window 3 : tensor<5x8xf32>, tensor<5x8xf32>, tensor<5x8xf32> -> tensor<5x8xf32>
  return
}

// -----

func.func @f(%q: tensor<5x8xf32>, %c: tensor<16x8xf32>) {
  // expected-error @+1 {{a KV cache needs a key cache, a value cache and a position}}
  %o:2 = "xgenmm.attention"(%q, %q, %q, %c) <{heads = 2 : i64, kv_heads = 2 : i64, head_dim = 4 : i64, scale = 0.5 : f32, operandSegmentSizes = array<i32: 1, 1, 1, 0, 1, 0>}> : (tensor<5x8xf32>, tensor<5x8xf32>, tensor<5x8xf32>, tensor<16x8xf32>) -> (tensor<5x8xf32>, tensor<16x8xf32>)
  return
}

// -----

func.func @f(%q: tensor<5x8xf32>, %kc: tensor<16x8xf32>, %vc: tensor<17x8xf32>, %p: index) {
  // expected-error @+1 {{key and value caches must have the same type}}
  %o:3 = xgenmm.attention %q, %q, %q cache(%kc, %vc : tensor<16x8xf32>, tensor<17x8xf32> at %p) heads 2 kv_heads 2 head_dim 4 scale 0.5 causal : tensor<5x8xf32>, tensor<5x8xf32>, tensor<5x8xf32> -> tensor<5x8xf32>, tensor<16x8xf32>, tensor<17x8xf32>
  return
}

// -----

func.func @f(%q: tensor<5x8xf32>, %c: tensor<16x4xf32>, %p: index) {
  // expected-error @+1 {{cache type 'tensor<16x4xf32>' must be [batch..., capacity, 8] matching the query batch dimensions}}
  %o:3 = xgenmm.attention %q, %q, %q cache(%c, %c : tensor<16x4xf32>, tensor<16x4xf32> at %p) heads 2 kv_heads 2 head_dim 4 scale 0.5 causal : tensor<5x8xf32>, tensor<5x8xf32>, tensor<5x8xf32> -> tensor<5x8xf32>, tensor<16x4xf32>, tensor<16x4xf32>
  return
}

// -----

func.func @f(%q: tensor<5x8xf32>, %c: tensor<16x8xi8>, %p: index) {
  // expected-error @+1 {{cache type 'tensor<16x8xi8>' must be [batch..., capacity, 16] matching the query batch dimensions (int8: kv_heads x (head_dim + 4 scale bytes))}}
  %o:3 = xgenmm.attention %q, %q, %q cache(%c, %c : tensor<16x8xi8>, tensor<16x8xi8> at %p) heads 2 kv_heads 2 head_dim 4 scale 0.5 causal : tensor<5x8xf32>, tensor<5x8xf32>, tensor<5x8xf32> -> tensor<5x8xf32>, tensor<16x8xi8>, tensor<16x8xi8>
  return
}

// -----

func.func @f(%q: tensor<5x8xf32>, %k: tensor<4x8xf32>, %c: tensor<16x8xf32>, %p: index) {
  // expected-error @+1 {{with a KV cache, key rows (4) must equal query rows (5)}}
  %o:3 = xgenmm.attention %q, %k, %k cache(%c, %c : tensor<16x8xf32>, tensor<16x8xf32> at %p) heads 2 kv_heads 2 head_dim 4 scale 0.5 causal : tensor<5x8xf32>, tensor<4x8xf32>, tensor<4x8xf32> -> tensor<5x8xf32>, tensor<16x8xf32>, tensor<16x8xf32>
  return
}

// -----

func.func @f(%q: tensor<5x8xf32>, %c: tensor<16x8xf32>, %p: index) {
  // expected-error @+1 {{expects 3 result(s): the output and the two updated caches, got 1}}
  %o = "xgenmm.attention"(%q, %q, %q, %c, %c, %p) <{heads = 2 : i64, kv_heads = 2 : i64, head_dim = 4 : i64, scale = 0.5 : f32, operandSegmentSizes = array<i32: 1, 1, 1, 0, 2, 1>}> : (tensor<5x8xf32>, tensor<5x8xf32>, tensor<5x8xf32>, tensor<16x8xf32>, tensor<16x8xf32>, index) -> (tensor<5x8xf32>)
  return
}

// -----

func.func @f(%q: tensor<5x8xf32>, %c: tensor<16x8xf32>, %p: index) {
  // expected-error @+1 {{updated cache type 'tensor<?x8xf32>' differs from the cache type 'tensor<16x8xf32>'}}
  %o:3 = xgenmm.attention %q, %q, %q cache(%c, %c : tensor<16x8xf32>, tensor<16x8xf32> at %p) heads 2 kv_heads 2 head_dim 4 scale 0.5 causal : tensor<5x8xf32>, tensor<5x8xf32>, tensor<5x8xf32> -> tensor<5x8xf32>, tensor<?x8xf32>, tensor<16x8xf32>
  return
}

// -----

func.func @f(%q: tensor<2x5x8xf32>, %m: tensor<5xi1>) {
  // expected-error @+1 {{key mask [5] must be [batch..., keys] matching the query [2, 5, 8]}}
  %o = xgenmm.attention %q, %q, %q mask(%m : tensor<5xi1>) heads 2 kv_heads 2 head_dim 4 scale 0.5 : tensor<2x5x8xf32>, tensor<2x5x8xf32>, tensor<2x5x8xf32> -> tensor<2x5x8xf32>
  return
}

// -----

func.func @f(%q: tensor<2x5x8xf32>, %m: tensor<2x6xi1>) {
  // expected-error @+1 {{key mask covers 6 keys but there are only 5}}
  %o = xgenmm.attention %q, %q, %q mask(%m : tensor<2x6xi1>) heads 2 kv_heads 2 head_dim 4 scale 0.5 : tensor<2x5x8xf32>, tensor<2x5x8xf32>, tensor<2x5x8xf32> -> tensor<2x5x8xf32>
  return
}

// -----

func.func @f(%q: tensor<5x8xf32>) {
  // expected-error @+1 {{output has shape [4, 8], expected [5, 8]}}
  %o = xgenmm.attention %q, %q, %q heads 2 kv_heads 2 head_dim 4 scale 0.5 : tensor<5x8xf32>, tensor<5x8xf32>, tensor<5x8xf32> -> tensor<4x8xf32>
  return
}

//===--- xgenmm.embed / xgenmm.lm_head ---===//

// -----

func.func @f(%ids: tensor<?xi32>, %t: tensor<20xf32>, %x: tensor<3x8xf32>) {
  // expected-error @+1 {{tables must be [rows, width], got [20] and [3, 8]}}
  %e = xgenmm.embed %ids, %t, %x base_vocab 18 : tensor<?xi32>, tensor<20xf32>, tensor<3x8xf32> -> tensor<?x8xf32>
  return
}

// -----

func.func @f(%ids: tensor<?xi32>, %t: tensor<20x8xf32>, %x: tensor<3x6xf32>) {
  // expected-error @+1 {{table width 8 differs from the extra table width 6}}
  %e = xgenmm.embed %ids, %t, %x base_vocab 18 : tensor<?xi32>, tensor<20x8xf32>, tensor<3x6xf32> -> tensor<?x8xf32>
  return
}

// -----

func.func @f(%ids: tensor<?xi32>, %t: tensor<20x8xf32>, %x: tensor<3x8xf32>) {
  // expected-error @+1 {{base_vocab 21 exceeds the table's 20 rows}}
  %e = xgenmm.embed %ids, %t, %x base_vocab 21 : tensor<?xi32>, tensor<20x8xf32>, tensor<3x8xf32> -> tensor<?x8xf32>
  return
}

// -----

func.func @f(%ids: tensor<?xi32>, %t: tensor<20x8xf32>, %x: tensor<3x8xf32>) {
  // expected-error @+1 {{result has shape [?, 6], expected [?, 8]}}
  %e = xgenmm.embed %ids, %t, %x base_vocab 18 : tensor<?xi32>, tensor<20x8xf32>, tensor<3x8xf32> -> tensor<?x6xf32>
  return
}

// -----

func.func @f(%ids: tensor<?xf32>, %t: tensor<20x8xf32>, %x: tensor<3x8xf32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 32-bit signless integer or 64-bit signless integer values}}
  %e = xgenmm.embed %ids, %t, %x base_vocab 18 : tensor<?xf32>, tensor<20x8xf32>, tensor<3x8xf32> -> tensor<?x8xf32>
  return
}

// -----

func.func @f(%h: tensor<f32>, %w: tensor<20x8xf32>, %b: tensor<20xf32>, %wa: tensor<3x8xf32>, %ba: tensor<3xf32>) {
  // expected-error @+1 {{input must have rank >= 1}}
  %l = xgenmm.lm_head %h, %w, %b, %wa, %ba base_vocab 18 : tensor<f32>, tensor<20x8xf32>, tensor<20xf32>, tensor<3x8xf32>, tensor<3xf32> -> tensor<21xf32>
  return
}

// -----

func.func @f(%h: tensor<1x8xf32>, %w: tensor<20x8xf32>, %b: tensor<20xf32>, %wa: tensor<3xf32>, %ba: tensor<3xf32>) {
  // expected-error @+1 {{weights must be [rows, width], got [20, 8] and [3]}}
  %l = xgenmm.lm_head %h, %w, %b, %wa, %ba base_vocab 18 : tensor<1x8xf32>, tensor<20x8xf32>, tensor<20xf32>, tensor<3xf32>, tensor<3xf32> -> tensor<1x21xf32>
  return
}

// -----

func.func @f(%h: tensor<1x6xf32>, %w: tensor<20x8xf32>, %b: tensor<20xf32>, %wa: tensor<3x8xf32>, %ba: tensor<3xf32>) {
  // expected-error @+1 {{input width 6 does not match the weights [20, 8] and [3, 8]}}
  %l = xgenmm.lm_head %h, %w, %b, %wa, %ba base_vocab 18 : tensor<1x6xf32>, tensor<20x8xf32>, tensor<20xf32>, tensor<3x8xf32>, tensor<3xf32> -> tensor<1x21xf32>
  return
}

// -----

func.func @f(%h: tensor<1x8xf32>, %w: tensor<20x8xf32>, %b: tensor<20xf32>, %wa: tensor<3x8xf32>, %ba: tensor<2xf32>) {
  // expected-error @+1 {{extra bias has shape [2], expected [3]}}
  %l = xgenmm.lm_head %h, %w, %b, %wa, %ba base_vocab 18 : tensor<1x8xf32>, tensor<20x8xf32>, tensor<20xf32>, tensor<3x8xf32>, tensor<2xf32> -> tensor<1x21xf32>
  return
}

// -----

func.func @f(%h: tensor<1x8xf32>, %w: tensor<20x8xf32>, %b: tensor<20xf32>, %wa: tensor<3x8xf32>, %ba: tensor<3xf32>) {
  // expected-error @+1 {{base_vocab 24 exceeds the weight's 20 rows}}
  %l = xgenmm.lm_head %h, %w, %b, %wa, %ba base_vocab 24 : tensor<1x8xf32>, tensor<20x8xf32>, tensor<20xf32>, tensor<3x8xf32>, tensor<3xf32> -> tensor<1x27xf32>
  return
}

// -----

func.func @f(%h: tensor<1x8xf32>, %w: tensor<20x8xf32>, %b: tensor<20xf32>, %wa: tensor<3x8xf32>, %ba: tensor<3xf32>) {
  // expected-error @+1 {{result has shape [1, 23], expected [1, 21]}}
  %l = xgenmm.lm_head %h, %w, %b, %wa, %ba base_vocab 18 : tensor<1x8xf32>, tensor<20x8xf32>, tensor<20xf32>, tensor<3x8xf32>, tensor<3xf32> -> tensor<1x23xf32>
  return
}

//===--- xgenmm.splice ---===//

// -----

func.func @f(%e: tensor<4x8xf32>, %ids: tensor<4x1xi32>, %v: tensor<2x8xf32>) {
  // expected-error @+1 {{expects embeds [S, D], ids [S] and vision [V, D]}}
  %s = xgenmm.splice %e, %ids, %v image_token 7 : tensor<4x8xf32>, tensor<4x1xi32>, tensor<2x8xf32>
  return
}

// -----

func.func @f(%e: tensor<4x8xf32>, %ids: tensor<5xi32>, %v: tensor<2x8xf32>) {
  // expected-error @+1 {{embeds have 4 rows but there are 5 ids}}
  %s = xgenmm.splice %e, %ids, %v image_token 7 : tensor<4x8xf32>, tensor<5xi32>, tensor<2x8xf32>
  return
}

// -----

func.func @f(%e: tensor<4x8xf32>, %ids: tensor<4xi32>, %v: tensor<2x6xf32>) {
  // expected-error @+1 {{vision width 6 differs from the embedding width 8}}
  %s = xgenmm.splice %e, %ids, %v image_token 7 : tensor<4x8xf32>, tensor<4xi32>, tensor<2x6xf32>
  return
}

// -----

func.func @f(%e: tensor<4x8xf32>, %ids: tensor<4xi32>, %v: tensor<5x8xf32>) {
  // expected-error @+1 {{more vision tokens (5) than sequence rows (4)}}
  %s = xgenmm.splice %e, %ids, %v image_token 7 : tensor<4x8xf32>, tensor<4xi32>, tensor<5x8xf32>
  return
}

// -----

func.func @f(%e: tensor<4x8xf32>, %ids: tensor<4xi32>, %v: tensor<2x8xbf16>) {
  // expected-error @+1 {{vision and embedding element types differ}}
  %s = xgenmm.splice %e, %ids, %v image_token 7 : tensor<4x8xf32>, tensor<4xi32>, tensor<2x8xbf16>
  return
}

//===--- xgenmm.anyres_regroup ---===//

// -----

func.func @f(%x: tensor<9x4xf32>, %i: index) {
  // expected-error @+1 {{features must be [views, tokens, channels], got [9, 4]}}
  %g, %m = xgenmm.anyres_regroup %x grid(%i, %i) size(%i, %i) : tensor<9x4xf32> -> tensor<9x4xf32>, tensor<9x4xi1>
  return
}

// -----

func.func @f(%x: tensor<?x8x4xf32>, %i: index) {
  // expected-error @+1 {{tokens per view (8) must be a static square number}}
  %g, %m = xgenmm.anyres_regroup %x grid(%i, %i) size(%i, %i) : tensor<?x8x4xf32> -> tensor<?x8x4xf32>, tensor<?x8xi1>
  return
}

// -----

func.func @f(%x: tensor<?x9x4xf32>, %i: index) {
  // expected-error @+1 {{mask has shape [?, 8], expected [?, 9]}}
  %g, %m = xgenmm.anyres_regroup %x grid(%i, %i) size(%i, %i) : tensor<?x9x4xf32> -> tensor<?x9x4xf32>, tensor<?x8xi1>
  return
}

// -----

func.func @f(%x: tensor<4x9x4xf32>, %i: index) {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  // expected-error @+1 {{a 1x2 grid needs 3 views (global + crops), got 4}}
  %g, %m = xgenmm.anyres_regroup %x grid(%c1, %c2) size(%i, %i) : tensor<4x9x4xf32> -> tensor<4x9x4xf32>, tensor<4x9xi1>
  return
}

//===--- xgenmm.layer_stack ---===//

// -----

func.func @f(%x: tensor<4xf32>, %w: tensor<3x4xf32>) {
  // expected-error @+1 {{per_layer operand #0 of type 'tensor<3x4xf32>' must have a leading dimension equal to the layer count 2}}
  %h = xgenmm.layer_stack layers 2 carry(%x : tensor<4xf32>) per_layer(%w : tensor<3x4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>, %b: tensor<4xf32>):
    xgenmm.yield %a : tensor<4xf32>
  }
  return
}

// -----

func.func @f(%x: tensor<4xf32>) {
  // expected-error @+1 {{expects at least 1 result(s), one per carried value}}
  xgenmm.layer_stack layers 2 carry(%x : tensor<4xf32>) {
  ^bb0(%a: tensor<4xf32>):
    xgenmm.yield
  }
  return
}

// -----

func.func @f(%x: tensor<4xf32>) {
  // expected-error @+1 {{carry result #0 has type 'tensor<?xf32>' but the carried value has type 'tensor<4xf32>'}}
  %h = xgenmm.layer_stack layers 2 carry(%x : tensor<4xf32>) -> tensor<?xf32> {
  ^bb0(%a: tensor<4xf32>):
    xgenmm.yield %a : tensor<4xf32>
  }
  return
}

// -----

func.func @f(%x: tensor<4xf32>) {
  // expected-error @+1 {{stacked result #0 of type 'tensor<3x4xf32>' must be a tensor with leading dimension 2}}
  %h, %s = xgenmm.layer_stack layers 2 carry(%x : tensor<4xf32>) -> tensor<4xf32>, tensor<3x4xf32> {
  ^bb0(%a: tensor<4xf32>):
    xgenmm.yield %a, %a : tensor<4xf32>, tensor<4xf32>
  }
  return
}

// -----

func.func @f(%x: tensor<4xf32>, %p: index) {
  // expected-error @+1 {{body expects 2 arguments (1 carry, 0 per_layer, 1 shared), got 1}}
  %h = xgenmm.layer_stack layers 2 carry(%x : tensor<4xf32>) shared(%p : index) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    xgenmm.yield %a : tensor<4xf32>
  }
  return
}

// -----

func.func @f(%x: tensor<4xf32>) {
  // expected-error @+1 {{carry argument #0 has the wrong type}}
  %h = xgenmm.layer_stack layers 2 carry(%x : tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<?xf32>):
    %c = tensor.cast %a : tensor<?xf32> to tensor<4xf32>
    xgenmm.yield %c : tensor<4xf32>
  }
  return
}

// -----

func.func @f(%x: tensor<4xf32>, %w: tensor<2x4xf32>) {
  // expected-error @+1 {{per_layer argument #0 must have type 'tensor<4xf32>', got 'tensor<2x4xf32>'}}
  %h = xgenmm.layer_stack layers 2 carry(%x : tensor<4xf32>) per_layer(%w : tensor<2x4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>, %b: tensor<2x4xf32>):
    xgenmm.yield %a : tensor<4xf32>
  }
  return
}

// -----

func.func @f(%x: tensor<4xf32>, %p: index) {
  // expected-error @+1 {{shared argument #0 has the wrong type}}
  %h = xgenmm.layer_stack layers 2 carry(%x : tensor<4xf32>) shared(%p : index) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>, %b: i64):
    xgenmm.yield %a : tensor<4xf32>
  }
  return
}

// -----

func.func @f(%x: tensor<4xf32>) {
  // expected-error @+1 {{body must end with xgenmm.yield}}
  %h = xgenmm.layer_stack layers 2 carry(%x : tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    llvm.unreachable
  }
  return
}

// -----

func.func @f(%x: tensor<4xf32>) {
  // expected-error @+1 {{body yields 2 value(s) but the stack has 1 result(s)}}
  %h = xgenmm.layer_stack layers 2 carry(%x : tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    xgenmm.yield %a, %a : tensor<4xf32>, tensor<4xf32>
  }
  return
}

// -----

func.func @f(%x: tensor<4xf32>) {
  // expected-error @+1 {{yielded value #1 has type 'tensor<5xf32>', expected 'tensor<4xf32>'}}
  %h, %s = xgenmm.layer_stack layers 2 carry(%x : tensor<4xf32>) -> tensor<4xf32>, tensor<2x4xf32> {
  ^bb0(%a: tensor<4xf32>):
    %e = tensor.empty() : tensor<5xf32>
    xgenmm.yield %a, %e : tensor<4xf32>, tensor<5xf32>
  }
  return
}

// -----

func.func @f(%x: tensor<4xf32>) {
  // expected-note @+1 {{required by region isolation constraints}}
  %h = xgenmm.layer_stack layers 2 carry(%x : tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    // expected-error @+1 {{using value defined outside the region}}
    %y = xgenmm.add %a, %x : tensor<4xf32>, tensor<4xf32>
    xgenmm.yield %y : tensor<4xf32>
  }
  return
}
