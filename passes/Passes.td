//===- Passes.td - xgenmm passes ---------------------------*- tablegen -*-===//
#ifndef XGENMM_PASSES_TD
#define XGENMM_PASSES_TD

include "mlir/Pass/PassBase.td"

def XgenmmModelSummary : Pass<"xgenmm-model-summary", "::mlir::ModuleOp"> {
  let summary = "Print the parameters, layers and FLOPs of an xgenmm model";
  let description = [{
    An analysis that leaves the IR unchanged and prints, for the module:
    parameters and bytes per component (the weight-name prefix up to the
    second dot, e.g. `vlm.vision_encoder`) and stored dtype; and for each
    function: its op counts with layer stacks multiplied out, and the
    multiply-add FLOPs of its linear layers, patch embedding and LM head with every
    dynamic dimension taken as 1 (so: per view for `encode_image`, per token
    for `prefill`/`decode`), plus the attention FLOPs per query-key pair.
  }];
  let options = [
    Option<"outputFile", "output", "std::string", /*default=*/"\"-\"",
           "Where to write the summary ('-' for stdout)">,
  ];
}

def XgenmmExpandLayerStacks : Pass<"xgenmm-expand-layer-stacks"> {
  let summary = "Unroll every xgenmm.layer_stack into one copy of its body per layer";
  let description = [{
    The reference decomposition of `xgenmm.layer_stack`: per-layer operands
    become `tensor.extract_slice`s of layer `l`, carried values are threaded
    from copy to copy, and stacked results are assembled with
    `tensor.insert_slice`. Useful for debugging and for checking that the
    stacked form means what it should; the compiler's pipelines keep stacks
    rolled so that code size does not grow with depth.
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect"];
}

#endif // XGENMM_PASSES_TD
