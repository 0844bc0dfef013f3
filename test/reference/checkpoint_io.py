"""Writing checkpoints in the Hugging Face layout (spec §6.1).

* single file: ``model.safetensors``
* sharded:     ``model-0000k-of-0000n.safetensors`` + ``model.safetensors.index.json`` with
  ``{"metadata": {"total_size": bytes}, "weight_map": {name: file}}`` (json indent 2, sorted keys)
* shards are split with huggingface_hub's own greedy splitter, in module order, as
  ``save_pretrained`` does; every file carries ``__metadata__ = {"format": "pt"}``.

``StreamingSafetensorsWriter`` writes a file tensor by tensor (header first, from shapes only)
so the full-size checkpoint never has to be in memory. Its output is byte-identical to
``safetensors.torch.save`` for single-dtype files (checked on every tiny fixture).
"""

from __future__ import annotations

import json
import math
import os
import struct
from typing import Callable, Iterable

import torch

_DTYPE_NAME = {torch.float32: "F32", torch.bfloat16: "BF16", torch.float16: "F16"}
_DTYPE_SIZE = {torch.float32: 4, torch.bfloat16: 2, torch.float16: 2}


def write_json(path: str, obj) -> None:
    # transformers: json.dumps(..., indent=2, sort_keys=True) + "\n"
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps(obj, indent=2, sort_keys=True) + "\n")


def shard_plan(
    names_sizes: list[tuple[str, int]], max_shard_size: int
) -> list[list[str]]:
    """Greedy split in the given order, identical to huggingface_hub.split_state_dict_into_shards."""
    from huggingface_hub.serialization import split_state_dict_into_shards_factory

    # the factory only needs a size per entry (not str: it skips str entries as bnb metadata)
    fake = {n: i for i, (n, _) in enumerate(names_sizes)}
    by_index = [s for _, s in names_sizes]
    split = split_state_dict_into_shards_factory(
        fake,
        get_storage_size=lambda i: by_index[i],
        filename_pattern="model{suffix}.safetensors",
        max_shard_size=max_shard_size,
    )
    files = sorted(split.filename_to_tensors)
    return [list(split.filename_to_tensors[f]) for f in files]


def shard_plan_for_count(names_sizes: list[tuple[str, int]], n_shards: int) -> tuple[int, list[list[str]]]:
    """Smallest max_shard_size (in 1-byte steps from total/n) that yields exactly n shards."""
    total = sum(s for _, s in names_sizes)
    limit = math.ceil(total / n_shards)
    while True:
        plan = shard_plan(names_sizes, limit)
        if len(plan) <= n_shards:
            assert len(plan) == n_shards, (len(plan), n_shards)
            return limit, plan
        limit += max(1, total // 1000)


def shard_file_names(n: int) -> list[str]:
    if n == 1:
        return ["model.safetensors"]
    return [f"model-{i + 1:05d}-of-{n:05d}.safetensors" for i in range(n)]


class StreamingSafetensorsWriter:
    """Writes one safetensors file from (name, shape, dtype) up front, then tensors one by one.

    Layout = what the safetensors library writes: header keys sorted, ``__metadata__`` first,
    compact JSON, padded with spaces to a multiple of 8; data in the same (sorted) order.
    """

    def __init__(self, path: str, entries: Iterable[tuple[str, tuple[int, ...], torch.dtype]],
                 metadata: dict[str, str] | None = None):
        entries = sorted(entries, key=lambda e: e[0])
        dtypes = {e[2] for e in entries}
        # the library orders by (alignment desc, name); with one dtype that is just by name
        assert len(dtypes) == 1, "single-dtype files only"
        header: dict = {}
        if metadata is not None:
            header["__metadata__"] = metadata
        off = 0
        self._order: list[tuple[str, tuple[int, ...], torch.dtype, int]] = []
        for name, shape, dt in entries:
            nbytes = math.prod(shape) * _DTYPE_SIZE[dt]
            header[name] = {"dtype": _DTYPE_NAME[dt], "shape": list(shape), "data_offsets": [off, off + nbytes]}
            self._order.append((name, tuple(shape), dt, nbytes))
            off += nbytes
        hb = json.dumps(header, separators=(",", ":")).encode()
        hb += b" " * (-len(hb) % 8)
        self._f = open(path, "wb")
        self._f.write(struct.pack("<Q", len(hb)))
        self._f.write(hb)
        self._next = 0

    def write(self, name: str, t: torch.Tensor) -> None:
        exp_name, shape, dt, nbytes = self._order[self._next]
        assert name == exp_name, (name, exp_name)
        assert tuple(t.shape) == shape and t.dtype == dt, (name, t.shape, t.dtype)
        if nbytes:
            data = t.contiguous().reshape(-1).view(torch.uint8).numpy()  # no copy
            assert data.nbytes == nbytes
            self._f.write(data.data)
        self._next += 1

    @property
    def pending(self) -> list[str]:
        return [e[0] for e in self._order[self._next:]]

    def close(self) -> None:
        assert self._next == len(self._order), "not all tensors written"
        self._f.close()


def save_checkpoint(
    out_dir: str,
    specs: list[tuple[str, tuple[int, ...]]],
    dtype: torch.dtype,
    n_shards: int | None,
    get_tensor: Callable[[str], torch.Tensor],
    max_shard_size: int | None = None,
) -> list[str]:
    """Write the weights of ``specs`` (module order) to ``out_dir``; returns the file names.

    ``get_tensor(name)`` is called exactly once per tensor, in file order, and may create the
    tensor on the fly (streaming). Give either ``n_shards`` (tiny fixtures; 1 = single file)
    or ``max_shard_size`` in bytes (full size, as save_pretrained's ``max_shard_size``).
    """
    esize = _DTYPE_SIZE[dtype]
    names_sizes = [(n, math.prod(s) * esize) for n, s in specs]
    if max_shard_size is not None:
        plan = shard_plan(names_sizes, max_shard_size)
    elif n_shards == 1:
        plan = [[n for n, _ in names_sizes]]
    else:
        _, plan = shard_plan_for_count(names_sizes, n_shards)
    files = shard_file_names(len(plan))
    shapes = dict(specs)
    for fname, names in zip(files, plan):
        w = StreamingSafetensorsWriter(
            os.path.join(out_dir, fname), [(n, shapes[n], dtype) for n in names], metadata={"format": "pt"}
        )
        for n in list(w.pending):
            t = get_tensor(n)
            w.write(n, t)
            del t
        w.close()
    if len(files) > 1:
        weight_map = {n: f for f, names in zip(files, plan) for n in names}
        write_json(
            os.path.join(out_dir, "model.safetensors.index.json"),
            {"metadata": {"total_size": sum(s for _, s in names_sizes)}, "weight_map": weight_map},
        )
    return files


def load_checkpoint(model_dir: str) -> dict[str, torch.Tensor]:
    """Read back every tensor of a single-file or sharded checkpoint (as stored)."""
    from safetensors.torch import load_file

    idx = os.path.join(model_dir, "model.safetensors.index.json")
    if os.path.exists(idx):
        with open(idx) as f:
            files = sorted(set(json.load(f)["weight_map"].values()))
    else:
        files = ["model.safetensors"]
    out: dict[str, torch.Tensor] = {}
    for fn in files:
        part = load_file(os.path.join(model_dir, fn))
        assert not (set(part) & set(out))
        out.update(part)
    return out
