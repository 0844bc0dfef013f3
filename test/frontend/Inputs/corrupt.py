#!/usr/bin/env python3
"""Makes corrupted copies of a checkpoint fixture for the importer's error
tests (standard library only, so the C++ test suite needs no pip packages).

  corrupt.py SRC_DIR DST_DIR ACTION [ARG...]

copies SRC_DIR to DST_DIR (unless they are the same, to chain several
corruptions), then applies ACTION to DST_DIR:
  truncate FILE NBYTES          cut FILE to NBYTES bytes
  header-length FILE N          set the 8-byte header length to N
  header-bytes FILE OFFSET TEXT overwrite header bytes at OFFSET (from the
                                start of the JSON) with TEXT
  set-field FILE TENSOR KEY JSON
                                set TENSOR's KEY in the header to JSON (the
                                header keeps its length, padded with spaces)
  drop-tensor FILE TENSOR       remove TENSOR, its bytes and index entry
  rename-tensor FILE OLD NEW    rename a tensor (in the index too)
  delete FILE                   delete a file
  json FILE PATH JSON           set a field of a JSON file (PATH dotted;
                                JSON 'DELETE' removes it)
"""
import json
import os
import shutil
import struct
import sys


def read_st(path):
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    return json.loads(raw[8:8 + n]), raw[8 + n:], n


def write_st(path, header, data, keep_length=None):
    text = json.dumps(header, separators=(",", ":")).encode()
    if keep_length is not None:
        assert len(text) <= keep_length, "edited header no longer fits"
        text += b" " * (keep_length - len(text))
    else:
        text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)


def index_path(d):
    return os.path.join(d, "model.safetensors.index.json")


def main():
    src, dst, action, *args = sys.argv[1:]
    if os.path.realpath(src) != os.path.realpath(dst):  # same: edit in place
        if os.path.exists(dst):
            shutil.rmtree(dst)
        shutil.copytree(src, dst)
    join = lambda f: os.path.join(dst, f)
    if action == "truncate":
        with open(join(args[0]), "r+b") as f:
            f.truncate(int(args[1]))
    elif action == "header-length":
        with open(join(args[0]), "r+b") as f:
            f.write(struct.pack("<Q", int(args[1])))
    elif action == "header-bytes":
        with open(join(args[0]), "r+b") as f:
            f.seek(8 + int(args[1]))
            f.write(args[2].encode())
    elif action == "set-field":
        header, data, n = read_st(join(args[0]))
        header[args[1]][args[2]] = json.loads(args[3])
        write_st(join(args[0]), header, data, keep_length=n)
    elif action == "drop-tensor":
        path, name = join(args[0]), args[1]
        header, data, _ = read_st(path)
        begin, end = header.pop(name)["data_offsets"]
        for k, v in header.items():
            if k != "__metadata__" and v["data_offsets"][0] >= end:
                v["data_offsets"] = [o - (end - begin) for o in v["data_offsets"]]
        write_st(path, header, data[:begin] + data[end:])
        if os.path.exists(index_path(dst)):
            with open(index_path(dst)) as f:
                index = json.load(f)
            index["weight_map"].pop(name)
            index["metadata"]["total_size"] -= end - begin
            with open(index_path(dst), "w") as f:
                json.dump(index, f, indent=2)
    elif action == "rename-tensor":
        path, old, new = join(args[0]), args[1], args[2]
        header, data, _ = read_st(path)
        header[new] = header.pop(old)
        write_st(path, header, data)
        if os.path.exists(index_path(dst)):
            with open(index_path(dst)) as f:
                index = json.load(f)
            index["weight_map"][new] = index["weight_map"].pop(old)
            with open(index_path(dst), "w") as f:
                json.dump(index, f, indent=2)
    elif action == "delete":
        os.remove(join(args[0]))
    elif action == "json":
        path, field, value = join(args[0]), args[1], args[2]
        with open(path) as f:
            doc = json.load(f)
        *parents, last = field.split(".")
        node = doc
        for p in parents:
            node = node[p]
        if value == "DELETE":
            node.pop(last)
        else:
            node[last] = json.loads(value)
        with open(path, "w") as f:
            json.dump(doc, f, indent=2)
    else:
        sys.exit(f"unknown action {action}")


if __name__ == "__main__":
    main()
