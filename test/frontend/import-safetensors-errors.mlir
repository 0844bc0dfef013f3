// Corrupted safetensors files, made at test time from a fixture: each is
// refused with a message naming the file, the tensor and the fault, exit
// status 1, and no output written.
//
// Truncated: the data section ends before the tensors do.
// RUN: %python %S/Inputs/corrupt.py %fixtures/tiny_fp32_single %t.trunc truncate model.safetensors 8000
// RUN: not xgenmm-import %t.trunc -o %t.trunc.mlir 2>&1 | FileCheck %s --check-prefix=TRUNC
// RUN: not test -e %t.trunc.mlir
// TRUNC: xgenmm-import: error: {{.*}}trunc/model.safetensors: tensor 'vlm.lang_model.lm_head.weight': data_offsets [1140, 27540] end past the 1256 bytes of the data section
//
// Truncated inside the header.
// RUN: %python %S/Inputs/corrupt.py %fixtures/tiny_fp32_single %t.hdr truncate model.safetensors 1000
// RUN: not xgenmm-import %t.hdr 2>&1 | FileCheck %s --check-prefix=HDR
// HDR: hdr/model.safetensors: header length 6736 exceeds the file size 1000 less the 8-byte length
//
// Shorter than the 8-byte length itself.
// RUN: %python %S/Inputs/corrupt.py %fixtures/tiny_fp32_single %t.tiny truncate model.safetensors 5
// RUN: not xgenmm-import %t.tiny 2>&1 | FileCheck %s --check-prefix=TINY
// TINY: tiny/model.safetensors: file is 5 bytes long, shorter than the 8-byte header length
//
// Header length past the end of the file.
// RUN: %python %S/Inputs/corrupt.py %fixtures/tiny_fp32_single %t.len header-length model.safetensors 99999999
// RUN: not xgenmm-import %t.len 2>&1 | FileCheck %s --check-prefix=LEN
// LEN: len/model.safetensors: header length 99999999 exceeds the file size 307932 less the 8-byte length
//
// Overlapping data offsets.
// RUN: %python %S/Inputs/corrupt.py %fixtures/tiny_fp32_single %t.overlap set-field model.safetensors vlm.lang_model.lm_head.bias data_offsets '[532, 1132]'
// RUN: not xgenmm-import %t.overlap 2>&1 | FileCheck %s --check-prefix=OVERLAP
// OVERLAP: overlap/model.safetensors: tensors 'vlm.lang_model.lm_head.additional_fc.weight' and 'vlm.lang_model.lm_head.bias' overlap
//
// A hole between tensors.
// RUN: %python %S/Inputs/corrupt.py %fixtures/tiny_fp32_single %t.gap set-field model.safetensors vlm.lang_model.lm_head.bias data_offsets '[548, 1148]'
// RUN: not xgenmm-import %t.gap 2>&1 | FileCheck %s --check-prefix=GAP
// GAP: gap/model.safetensors: gap between tensors 'vlm.lang_model.lm_head.additional_fc.weight' and 'vlm.lang_model.lm_head.bias' (bytes [540, 548) of the data section hold no tensor)
//
// A shape whose size disagrees with the data offsets.
// RUN: %python %S/Inputs/corrupt.py %fixtures/tiny_fp32_single %t.shape set-field model.safetensors vlm.lang_model.lm_head.bias shape '[151]'
// RUN: not xgenmm-import %t.shape 2>&1 | FileCheck %s --check-prefix=SHAPE
// SHAPE: shape/model.safetensors: tensor 'vlm.lang_model.lm_head.bias': data_offsets [540, 1140] hold 600 bytes but shape [151] of F32 needs 604
//
// Bad JSON in the header.
// RUN: %python %S/Inputs/corrupt.py %fixtures/tiny_fp32_single %t.json header-bytes model.safetensors 0 '['
// RUN: not xgenmm-import %t.json 2>&1 | FileCheck %s --check-prefix=JSON
// JSON: json/model.safetensors: invalid JSON in header: at byte 15: expected ',' or ']' in array
//
// Unknown dtype.
// RUN: %python %S/Inputs/corrupt.py %fixtures/tiny_fp32_single %t.dtype set-field model.safetensors vlm.lang_model.lm_head.bias dtype '"F33"'
// RUN: not xgenmm-import %t.dtype 2>&1 | FileCheck %s --check-prefix=DTYPE
// DTYPE: dtype/model.safetensors: tensor 'vlm.lang_model.lm_head.bias': unknown dtype 'F33'
//
// A known dtype the model cannot use (I8 where a float weight is expected):
// the importer's all-at-once check names it.
// RUN: %python %S/Inputs/corrupt.py %fixtures/tiny_fp32_single %t.i8 set-field model.safetensors vlm.lang_model.lm_head.bias dtype '"I32"'
// RUN: not xgenmm-import %t.i8 2>&1 | FileCheck %s --check-prefix=I32
// I32: mismatched: vlm.lang_model.lm_head.bias: dtype I32 in model.safetensors, expected F32, BF16 or F16
//
// Sharded checkpoints: a missing shard, a wrong total size, no weights.
// RUN: %python %S/Inputs/corrupt.py %fixtures/tiny_bf16_2shards %t.shard delete model-00002-of-00002.safetensors
// RUN: not xgenmm-import %t.shard 2>&1 | FileCheck %s --check-prefix=SHARD
// SHARD: shard/model.safetensors.index.json: shard 'model-00002-of-00002.safetensors' does not exist
// RUN: %python %S/Inputs/corrupt.py %fixtures/tiny_bf16_2shards %t.total json model.safetensors.index.json metadata.total_size 5
// RUN: not xgenmm-import %t.total 2>&1 | FileCheck %s --check-prefix=TOTAL
// TOTAL: total/model.safetensors.index.json: metadata.total_size is 5 but the tensors of the shards hold 1379802 bytes
// RUN: %python %S/Inputs/corrupt.py %fixtures/tiny_fp32_single %t.none delete model.safetensors
// RUN: not xgenmm-import %t.none 2>&1 | FileCheck %s --check-prefix=NONE
// NONE: none: contains neither model.safetensors.index.json nor model.safetensors
