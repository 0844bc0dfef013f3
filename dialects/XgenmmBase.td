//===- XgenmmBase.td - xgenmm dialect definition -----------*- tablegen -*-===//
//
// The xgenmm dialect speaks the vocabulary of the xGen-MM (BLIP-3) model
// family: weights by reference, patch embedding, linear layers, norms,
// attention, GELU/SwiGLU, RoPE, the decoupled embedding and head, the anyres
// regrouping, and a layer stack that keeps repeated layers as one region.
//
//===----------------------------------------------------------------------===//

#ifndef XGENMM_BASE_TD
#define XGENMM_BASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Xgenmm_Dialect : Dialect {
  let name = "xgenmm";
  let cppNamespace = "::mlir::xgenmm";
  let summary = "Model-level ops of the xGen-MM (BLIP-3) vision-language models";
  let description = [{
    Ops of this dialect describe an xGen-MM model graph at the level of its
    modules: a SigLIP vision encoder, a perceiver resampler and a Phi-3
    language model. Tensors are builtin ranked tensors; activations are f32
    or bf16, weights f32, bf16 or f16. Weights are never embedded: a
    `xgenmm.weight` names a checkpoint tensor and optionally records where its
    bytes live (file, offset, stored dtype).

    Repeated layers are written once inside `xgenmm.layer_stack`, whose
    per-layer operands carry a leading layer dimension; the IR of a 27-layer
    encoder is the IR of one layer.
  }];
  let useDefaultAttributePrinterParser = 1;
  let dependentDialects = ["::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect"];
}

class Xgenmm_Op<string mnemonic, list<Trait> traits = []>
    : Op<Xgenmm_Dialect, mnemonic, traits>;

class Xgenmm_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Xgenmm_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

// Activations: f32 or bf16 (bf16 activations are for the GPU path).
def Xgenmm_ActElt : AnyTypeOf<[F32, BF16]>;
// Storage types of weights the compiler reads from checkpoints.
def Xgenmm_WeightElt : AnyTypeOf<[F32, BF16, F16]>;

def Xgenmm_Activation : RankedTensorOf<[F32, BF16]>;
def Xgenmm_WeightTensor : RankedTensorOf<[F32, BF16, F16]>;
def Xgenmm_StaticWeightTensor
    : StaticShapeTensorOf<[F32, BF16, F16]>;
// What a weight reference may produce: a float tensor, or the int8 values
// of a quantized weight (`#xgenmm.quant`).
def Xgenmm_StaticStoredTensor
    : StaticShapeTensorOf<[F32, BF16, F16, I8]>;
def Xgenmm_QuantValues : RankedTensorOf<[I8]>;
def Xgenmm_QuantScales : RankedTensorOf<[F32, F16]>;
def Xgenmm_TokenIds : RankedTensorOf<[I32, I64]>;
def Xgenmm_Mask : RankedTensorOf<[I1]>;
// A KV cache: f32, bf16, or int8 rows with their scales inline
// (`xgenmm.attention`'s `cache(...)`).
def Xgenmm_KvCache : RankedTensorOf<[F32, BF16, I8]>;

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

def Xgenmm_GeluApproximation : I32EnumAttr<"GeluApproximation",
    "how GELU is computed", [
      I32EnumAttrCase<"none", 0>,  // exact: x * 0.5 * (1 + erf(x / sqrt(2)))
      I32EnumAttrCase<"tanh", 1>   // PyTorch's approximate='tanh'
    ]> {
  let cppNamespace = "::mlir::xgenmm";
}

def Xgenmm_SourceAttr : Xgenmm_Attr<"Source", "source"> {
  let summary = "where one weight tensor's bytes live in a checkpoint";
  let description = [{
    Names a safetensors file (relative to the checkpoint directory), the byte
    offset of the tensor's data from the start of that file, and the element
    type it is stored in. The shape is the shape of the weight (of one layer
    for stacked weights).

    ```mlir
    #xgenmm.source<"model-00001-of-00002.safetensors", 123456, bf16>
    ```
  }];
  let parameters = (ins StringRefParameter<"file name">:$file,
                        "int64_t":$offset,
                        "::mlir::Type":$dtype);
  let assemblyFormat = "`<` $file `,` $offset `,` $dtype `>`";
  let genVerifyDecl = 1;
}

def Xgenmm_QuantAttr : Xgenmm_Attr<"Quant", "quant"> {
  let summary = "how a weight is stored group-quantized";
  let description = [{
    Marks a `xgenmm.weight` as one part of a weight quantized at compile
    time with `scheme` (`"int8"`: symmetric, round to nearest, values in
    [-127, 127]; `"int4"`: the same in [-7, 7]) over groups of `group_size`
    consecutive input features (the checkpoint's last dimension, K):

    * `"values"`: the quantized values, stored K-major as the kernels stream
      them: `[K, N]` i8 per layer for a `[N, K]` checkpoint tensor; int4
      two per byte, `[K / 2, N]` i8, byte `[k2, n]` holding `k = 2 k2` in
      its low nibble and `2 k2 + 1` in its high one (two's complement);
    * `"scales"`: one f32 scale per group and output feature, `[K / group, N]`
      per layer (`w[n, k] ~ values[k, n] * scales[k / group, n]`);
    * `layout "vnni"` (groups a multiple of 8): the layout of the int8
      dot-product kernels instead. int4 values `[N / P, K / 8, 4 P]` i8 per
      layer, panels of P columns (16, 32 or 64): byte `[p, kb, 4 c + b]`
      holds `k = 8 kb + b` of column `n = p P + c` in its low nibble and
      `k = 8 kb + 4 + b` in its high one, offset binary (`value + 8`,
      1..15), so each 32-bit lane of a 64-byte load is one column's four
      consecutive K (AVX512-VNNI `vpdpbusd`); int8 values `[N / P, K / 4,
      4 P]`, byte `[p, kb, 4 c + b]` = `k = 4 kb + b` of column `p P + c`
      plus 128 (offset binary, 1..255). Scales f16, `[N / P, K /
      group, P]` (each panel's scales one sequential stream). A
      `"dequantized"` weight with this layout uses the f16-rounded scales
      (the float twin of these kernels);
    * `"dequantized"`: the checkpoint's layout and a float type, the values
      already multiplied by their scales when the weights are written (the
      f32 computation the quantized kernels are checked against, and a way
      to measure a scheme's accuracy alone).

    ```mlir
    #xgenmm.quant<"int8", 32, "values">
    #xgenmm.quant<"int4", 32, "values", "vnni">
    ```
  }];
  let parameters = (ins StringRefParameter<"quantization scheme">:$scheme,
                        "int64_t":$groupSize,
                        StringRefParameter<"which part of the weight">:$part,
                        StringRefParameter<"how the values are laid out",
                                           "\"kmajor\"">:$layout);
  let assemblyFormat =
      "`<` $scheme `,` $groupSize `,` $part (`,` $layout^)? `>`";
  let genVerifyDecl = 1;
}

def Xgenmm_SourceArrayAttr
    : TypedArrayAttrBase<Xgenmm_SourceAttr, "array of weight sources">;

#endif // XGENMM_BASE_TD
