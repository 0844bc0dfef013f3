#!/usr/bin/env python3
"""Runs a fixture's whole GPU program (every kernel of the GPU pipeline, as
IR right after xgenmm-gpu-map-loops, in generic form) in the SIMT emulator
and compares it with the reference's goldens, as xgenmm-gpu-e2e does on a
GPU: each image's vision tokens, the last prompt position's logits, and
the first greedy decode steps' logits.

  check_model_kernels.py <generic.mlir> <weights.bin> <fixture-dir> [steps]

weights.bin is the fixture's artifact's (xgenmm-compile --target sm_80: the
same bf16 layout xgenmm-gpu-pipeline binds). Tolerance 3e-2 of each
tensor's largest value, xgenmm-gpu-e2e's for bf16 tensor-core math.
"""
import json
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import simt_emulator as se  # noqa: E402

TOLERANCE = 3e-2


def load_safetensors(path):
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == '__metadata__':
            continue
        assert info['dtype'] == 'F32', name
        a, b = info['data_offsets']
        out[name] = np.frombuffer(data[a:b], np.float32).reshape(info['shape']).copy()
    return out


def relative(got, want):
    return float(np.abs(got - want).max() / max(np.abs(want).max(), 1e-30))


def main():
    ir, weights_path, fixture = sys.argv[1:4]
    steps = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    text = open(ir).read()
    weights = np.fromfile(weights_path, np.int8)
    goldens = json.load(open(os.path.join(fixture, 'goldens.json')))
    tensors = load_safetensors(os.path.join(fixture, 'goldens.safetensors'))
    ok = True

    def report(name, err):
        nonlocal ok
        good = np.isfinite(err) and err <= TOLERANCE
        ok &= good
        print(f'{name}: {err:.3g} {"ok" if good else "FAIL"}')

    vision = []
    for k, image in enumerate(goldens['images']):
        pixels = tensors[f'image{k}.pixel_values']
        views = pixels.shape[0]
        tokens = image['num_vision_tokens'] // views  # after the resampler
        width = tensors[f'image{k}.vision_tokens'].shape[1]
        out = np.zeros((views, tokens, width), np.float32)
        w, h = image['size_wh']
        se.run(text, 'xgenmm_encode_image', [weights, pixels, image['nph'], image['npw'], w, h, out])
        got = out.reshape(-1, width)[:image['num_vision_tokens']]
        report(f'image {k} vision tokens', relative(got, tensors[f'image{k}.vision_tokens']))
        vision.append(got)

    # Each <image> id expanded into its image's tokens (as the runtime does).
    ids = []
    k = 0
    for token in goldens['input_ids']:
        if token == goldens['image_token_id']:
            ids += [token] * goldens['images'][k]['num_vision_tokens']
            k += 1
        else:
            ids.append(token)
    assert len(ids) == goldens['spliced_length']
    ids = np.array(ids, np.int32)
    # The caches' shape, from prefill's signature (its 5th argument).
    sig = text[:text.find('sym_name = "xgenmm_prefill"')]
    sig = sig[sig.rfind('function_type = (') + len('function_type = ('):]
    cache_type = se.split_types(sig[:sig.find(') -> ')])[4]
    shape = [int(x) for x in cache_type[len('memref<'):].split('x')[:-1]]
    kc = np.zeros(shape, np.float32)
    vc = np.zeros(shape, np.float32)
    logits = np.zeros((1, tensors['logits'].shape[1]), np.float32)
    vis = np.concatenate(vision)
    se.run(text, 'xgenmm_prefill', [weights, ids, vis, 0, kc, vc, logits])
    report('prompt logits', relative(logits[0], tensors['logits'][-1]))

    position = len(ids)
    generated = goldens['generated_ids']
    token = int(np.argmax(logits[0]))
    for step in range(steps):
        if token != generated[step]:
            print(f'step {step}: greedy id {token}, the reference {generated[step]}: FAIL')
            ok = False
            break
        se.run(text, 'xgenmm_decode', [weights, np.array([token], np.int32), position, kc, vc, logits])
        # generated_logits[i] chose generated[i]: [0] is the prompt's.
        report(f'decode step {step} logits', relative(logits[0], tensors['generated_logits'][step + 1]))
        token = int(np.argmax(logits[0]))
        position += 1
    print('all ok' if ok else 'FAILED')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
