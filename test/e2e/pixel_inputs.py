#!/usr/bin/env python3
"""Writes the --pixel-values file of xgenmm-run for a fixture's goldens
(standard library only): image<k> = goldens' image<k>.pixel_values,
image<k>.size = [width, height], image<k>.grid = [rows, cols].

  pixel_inputs.py FIXTURE_DIR OUT.safetensors   # prints the input ids
"""
import json
import struct
import sys


def read_safetensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    return {k: (v, data[v["data_offsets"][0]:v["data_offsets"][1]])
            for k, v in header.items() if k != "__metadata__"}


def main():
    fixture, out = sys.argv[1], sys.argv[2]
    goldens = read_safetensors(f"{fixture}/goldens.safetensors")
    meta = json.load(open(f"{fixture}/goldens.json"))
    tensors = []
    for k, image in enumerate(meta["images"]):
        info, data = goldens[f"image{k}.pixel_values"]
        tensors.append((f"image{k}", "F32", info["shape"], data))
        tensors.append((f"image{k}.size", "I64", [2],
                        struct.pack("<2q", *image["size_wh"])))
        tensors.append((f"image{k}.grid", "I64", [2],
                        struct.pack("<2q", image["nph"], image["npw"])))
    header, blobs, offset = {}, [], 0
    for name, dtype, shape, data in tensors:
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(out, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
    print(",".join(str(i) for i in meta["input_ids"]))


if __name__ == "__main__":
    main()
