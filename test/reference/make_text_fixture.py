#!/usr/bin/env python3
"""The released-era half of the text fixture (make_fixtures.py builds the rest).

Runs in the virtual environment of requirements-text-fixture.txt (regen.sh makes it):
transformers 4.41.1 with its slow SentencePiece LlamaTokenizer, sentencepiece 0.2.0 and
Pillow 10.4.0, the stack the released xGen-MM r-v1.5 processor and tokenizer ran on.

    make_text_fixture.py prepare SPEC.json OUT_DIR WORK_DIR
        trains a small SentencePiece model (Llama-2's trainer settings, BPE, byte
        fallback), writes it to OUT_DIR in the xGen-MM r-v1.5 tokenizer layout
        (tokenizer.model, tokenizer_config.json, special_tokens_map.json,
        added_tokens.json, with the Phi-3 tokens at pieces + 0..11), writes the test
        images to OUT_DIR/images/, preprocesses them as the released
        Blip3ImageProcessor does (Pillow's resize, black padding, crops, global view,
        ToTensor + Normalize) into WORK_DIR/pixels<k>.npy, tokenizes the prompts of
        SPEC with AutoTokenizer(use_fast=False, legacy=False) + update_special_tokens,
        and prints a JSON report.
    make_text_fixture.py decode OUT_DIR IDS.json
        prints tok.decode(ids, skip_special_tokens=True) for each id list.

Everything is deterministic (seeded corpus, one trainer thread, seeded image content).
"""

from __future__ import annotations

import io
import json
import os
import random
import sys

import numpy as np
import sentencepiece as spm
from PIL import Image

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "tokenizer"))
sys.path.insert(0, os.path.join(HERE, "images"))
import make_image_goldens as mig  # noqa: E402  (Pillow-only helpers: the released processor)
import make_tokenizer as mt  # noqa: E402  (Llama-2 trainer settings, corpus generator)

XGENMM_TOKENS = ["<image>", "<image placeholder>", "<|endofchunk|>"]
SEED = 20240816


# ------------------------------------------------------------------------------------------
# Tokenizer
# ------------------------------------------------------------------------------------------


def train_tokenizer(pieces: int, lines: int) -> bytes:
    """A `pieces`-piece BPE model with Llama-2's settings, trained on the Latin-script lines
    of make_tokenizer's corpus (rare characters, emoji and CJK then fall back to bytes)."""
    rng = random.Random(SEED)
    corpus = []
    for line in mt.corpus_lines(rng):
        if all(ord(c) < 0x250 for c in line):
            corpus.append(line)
            if len(corpus) == lines:
                break
    options = dict(mt.LLAMA_TRAINER_OPTIONS, vocab_size=pieces)
    spm.set_random_generator_seed(SEED)
    out = io.BytesIO()
    spm.SentencePieceTrainer.train(sentence_iterator=iter(corpus), model_writer=out, minloglevel=2,
                                   **options)
    data = out.getvalue()
    assert spm.SentencePieceProcessor(model_proto=data).get_piece_size() == pieces
    return data


def write_tokenizer(out_dir: str, pieces: int, lines: int) -> None:
    """tokenizer.model + the three JSON files of make_tokenizer.py with 32000 -> `pieces`."""
    with open(os.path.join(out_dir, "tokenizer.model"), "wb") as f:
        f.write(train_tokenizer(pieces, lines))
    remap = {i: (i - 32000 + pieces if i >= 32000 else i) for i, _, _, _ in mt.PHI3_ADDED}
    saved = mt.PHI3_ADDED
    mt.PHI3_ADDED = [(remap[i], c, r, s) for i, c, r, s in saved]
    try:
        mt.write_json(os.path.join(out_dir, "tokenizer_config.json"), mt.tokenizer_config())
        mt.write_json(os.path.join(out_dir, "special_tokens_map.json"), mt.special_tokens_map())
        mt.write_json(os.path.join(out_dir, "added_tokens.json"),
                      dict(sorted((c, i) for i, c, _, _ in mt.PHI3_ADDED if i >= pieces)))
    finally:
        mt.PHI3_ADDED = saved


def load_tokenizer(out_dir: str):
    """As the model cards: AutoTokenizer(use_fast=False, legacy=False), then
    model.update_special_tokens(tok), which adds the three xGen-MM tokens."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(out_dir, use_fast=False, legacy=False)
    tok.add_special_tokens({"additional_special_tokens": XGENMM_TOKENS})
    return tok


def instruct_prompt(query: str, system: str) -> str:
    """The instruct r-v1.5 model card's apply_prompt_template."""
    return f"<|system|>\n{system}<|end|>\n<|user|>\n{query}<|end|>\n<|assistant|>\n"


def base_prompt(text: str, tokens_per_image: int) -> str:
    """The base r-v1.5 demo.ipynb: <image> + (num_tokens - 1) <image placeholder> per image."""
    return text.replace("<image>", "<image>" + "<image placeholder>" * (tokens_per_image - 1))


# ------------------------------------------------------------------------------------------
# Images
# ------------------------------------------------------------------------------------------


def image_content(w: int, h: int, seed: int) -> np.ndarray:
    """Smooth gradients, a few hard-edged shapes and light noise: resizing it exercises
    both the antialiasing filter and the rounding, and JPEG keeps it small."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 128 + 100 * np.sin(x / max(w, 1) * 6.3 + seed)
    g = 128 + 100 * np.cos(y / max(h, 1) * 5.1 + seed * 0.5)
    b = 255 * ((x + y) / max(w + h - 2, 1))
    img = np.stack([r, g, b], axis=-1)
    for _ in range(4):
        cx, cy = rng.integers(0, w), rng.integers(0, h)
        rad = int(rng.integers(1, max(2, min(w, h) // 3 + 1)))
        mask = (np.abs(x - cx) < rad) & (np.abs(y - cy) < rad)
        img[mask] = rng.integers(0, 256, 3)
    img += rng.normal(0, 6, img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def write_image(path: str, spec: dict) -> None:
    w, h = spec["size"]
    rgb = Image.fromarray(image_content(w, h, spec["seed"]), "RGB")
    kind = spec["kind"]
    if kind == "png_rgb":
        rgb.save(path, format="PNG")
    elif kind == "png_palette":
        rgb.quantize(colors=16, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(path, format="PNG")
    elif kind == "png_rgba":
        rgba = rgb.convert("RGBA")
        rgba.putalpha(Image.fromarray(image_content(w, h, spec["seed"] + 1)[..., 0], "L"))
        rgba.save(path, format="PNG")
    elif kind == "jpeg":
        rgb.save(path, format="JPEG", quality=90, subsampling=2)
    elif kind == "jpeg_progressive":
        rgb.save(path, format="JPEG", quality=85, progressive=True, subsampling=2)
    else:
        raise ValueError(kind)


def resize_pillow13_order(img: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Pillow 13's pass order from one-axis resizes of this Pillow: vertical first when the
    height shrinks by more than twice as many pixels as the width."""
    w, h = size
    w0, h0 = img.size
    if (w0, h0) != (w, h) and w != w0 and h != h0 and (h0 - h) > 0 and (h0 - h) > 2 * (w0 - w):
        return img.resize((w0, h)).resize((w, h))
    return img.resize(size)


def preprocess(path: str, config: dict, resize=mig.resize_pillow) -> tuple[np.ndarray, dict]:
    img = Image.open(path).convert("RGB")  # as every caller of the processor does
    out = mig.processor_views(img, config, resize)
    views = np.stack([np.asarray(v.convert("RGB")) for v in out["views"]])
    pixels = mig.to_tensor_normalize(views, config["mean"], config["std"])
    return pixels, {"size_wh": list(img.size), "grid_wh": list(out["grid"]) if out["grid"] else None,
                    "resized_wh": list(out["resized"]) if out["resized"] else None,
                    "mode": Image.open(path).mode}


# ------------------------------------------------------------------------------------------


def prepare(spec_path: str, out_dir: str, work_dir: str) -> None:
    import PIL
    import transformers

    spec = json.load(open(spec_path))
    assert PIL.__version__ == "10.4.0" and transformers.__version__ == "4.41.1", \
        (PIL.__version__, transformers.__version__)
    write_tokenizer(out_dir, spec["pieces"], spec["corpus_lines"])
    tok = load_tokenizer(out_dir)
    n = spec["pieces"]
    ids = {t: tok.convert_tokens_to_ids(t) for t in XGENMM_TOKENS + ["<|end|>", "<|endoftext|>"]}
    assert len(tok) == n + 15 and ids["<image>"] == n + 12, (len(tok), ids)

    config = {"image_size": spec["image_size"], "grids": [tuple(g) for g in spec["grids"]],
              "mean": spec["mean"], "std": spec["std"]}
    images_dir = os.path.join(out_dir, "images")
    os.makedirs(images_dir, exist_ok=True)
    images = []
    for k, im in enumerate(spec["images"]):
        path = os.path.join(images_dir, im["file"])
        write_image(path, im)
        pixels, info = preprocess(path, config)
        np.save(os.path.join(work_dir, f"pixels{k}.npy"), pixels)
        other, _ = preprocess(path, config, resize_pillow13_order)
        info["pillow13_order_differs"] = bool(other.tobytes() != pixels.tobytes())
        info["file"] = im["file"]
        info["kind"] = im["kind"]
        info["bytes"] = os.path.getsize(path)
        images.append(info)

    prompts = []
    for p in spec["prompts"]:
        if p["format"] == "instruct":
            text = instruct_prompt(p["text"], p["system"])
        elif p["format"] == "base":
            text = base_prompt(p["text"], spec["tokens_per_view"])
        else:
            text = p["text"]
        prompts.append({"prompt": text, "ids": tok.encode(text)})
    report = {"token_ids": ids, "len_tokenizer": len(tok), "images": images, "prompts": prompts,
              "versions": {"transformers": transformers.__version__, "sentencepiece": spm.__version__,
                           "pillow": PIL.__version__}}
    json.dump(report, sys.stdout, ensure_ascii=False)


def decode(out_dir: str, ids_path: str) -> None:
    tok = load_tokenizer(out_dir)
    seqs = json.load(open(ids_path))
    json.dump([tok.decode(s, skip_special_tokens=True) for s in seqs], sys.stdout, ensure_ascii=False)


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "prepare":
        prepare(*sys.argv[2:])
    elif len(sys.argv) == 4 and sys.argv[1] == "decode":
        decode(*sys.argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
