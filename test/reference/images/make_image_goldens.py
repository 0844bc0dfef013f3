#!/usr/bin/env python3
"""Test images and Pillow / Blip3ImageProcessor goldens for runtime/image.

    python3 test/reference/images/make_image_goldens.py

rewrites, next to this script, inputs/ (the image files and the broken files
of the error tests), goldens.json and goldens.safetensors; README.md says what
each holds. The output is bit-identical from run to run with the versions of
requirements.txt (checked at start: pass --any-version to run anyway).

The reference is Pillow itself: `Image.open(f).convert('RGB')` for decoding,
`img.resize(size)` for resizing, and the released processor
(image_processing_blip_3.py: select_best_resolution, resize_and_pad_image,
divide_to_patches, process_anyres_image; torchvision ToTensor + Normalize),
re-stated below on Pillow images and numpy float32.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import shutil
import struct
import sys
import warnings
import zlib
from importlib.metadata import version
from pathlib import Path

import numpy as np
from PIL import Image, features

# Saving a palette image with one alpha per entry is what the test wants.
warnings.filterwarnings("ignore", message="Palette images with Transparency expressed in bytes")

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
INPUTS = HERE / "inputs"

MAX_IMAGE_PIXELS = 89478485  # Pillow's default Image.MAX_IMAGE_PIXELS
FULL_TENSOR_LIMIT = 64 * 1024  # bytes; larger outputs are kept as CRC32 + samples
SAMPLES = 256

# ------------------------------------------------------------------------------------------
# Synthetic images: an integer formula the C++ tests evaluate too
# (test/runtime/image/SyntheticImage.h), so large inputs need no committed file.
# ------------------------------------------------------------------------------------------

U32 = np.uint64(0xFFFFFFFF)


def _mix(h: np.ndarray) -> np.ndarray:
    """A 32-bit finalizer (uint64 arrays holding uint32 values)."""
    h = h ^ (h >> np.uint64(15))
    h = (h * np.uint64(0x2C1B3C6D)) & U32
    h = h ^ (h >> np.uint64(12))
    h = (h * np.uint64(0x297A2D39)) & U32
    return h ^ (h >> np.uint64(15))


def synthetic(width: int, height: int, seed: int, noise_bits: int) -> np.ndarray:
    """[height, width, 3] uint8: per channel a gradient, plus a checkerboard of 80, plus
    hash noise below 2**noise_bits, wrapped modulo 256 (the wrap makes hard edges)."""
    y, x = np.mgrid[0:height, 0:width].astype(np.uint64)
    cell = np.uint64(5 + seed % 11)
    check = (((x // cell) + (y // cell)) & np.uint64(1)) * np.uint64(80)
    out = np.empty((height, width, 3), np.uint8)
    grads = [
        x * np.uint64(255) // np.uint64(max(width - 1, 1)),
        y * np.uint64(255) // np.uint64(max(height - 1, 1)),
        (x + y) * np.uint64(255) // np.uint64(max(width + height - 2, 1)),
    ]
    for c in range(3):
        h = (
            ((x * np.uint64(0x9E3779B1)) & U32)
            ^ ((y * np.uint64(0x85EBCA77)) & U32)
            ^ np.uint64((c * 0xC2B2AE3D) & 0xFFFFFFFF)
            ^ np.uint64((seed * 0x27D4EB2F) & 0xFFFFFFFF)
        )
        noise = _mix(h) & np.uint64((1 << noise_bits) - 1)
        out[..., c] = ((grads[c] + check + noise) & np.uint64(255)).astype(np.uint8)
    return out


# ------------------------------------------------------------------------------------------
# A PNG writer for what Pillow cannot write (2/4-bit gray, 16-bit color, short palettes,
# Adam7, every filter type). Deflate uses stored blocks so the bytes do not depend on the
# zlib version.
# ------------------------------------------------------------------------------------------


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _stored_zlib(data: bytes) -> bytes:
    out = bytearray(b"\x78\x01")
    pos = 0
    while True:
        block = data[pos : pos + 65535]
        pos += len(block)
        final = pos >= len(data)
        out += bytes([1 if final else 0]) + struct.pack("<HH", len(block), len(block) ^ 0xFFFF) + block
        if final:
            break
    return bytes(out + struct.pack(">I", zlib.adler32(data)))


_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
_ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def _pack_row(samples: np.ndarray, depth: int) -> bytes:
    """One row of samples (already interleaved) to bytes, MSB first."""
    if depth == 16:
        return samples.astype(">u2").tobytes()
    if depth == 8:
        return samples.astype(np.uint8).tobytes()
    per_byte = 8 // depth
    n = len(samples)
    padded = np.zeros(-(-n // per_byte) * per_byte, np.uint8)
    padded[:n] = samples
    padded = padded.reshape(-1, per_byte)
    out = np.zeros(len(padded), np.uint8)
    for i in range(per_byte):
        out |= (padded[:, i] << (8 - depth * (i + 1))).astype(np.uint8)
    return out.tobytes()


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _filter(row: bytes, prev: bytes, kind: int, bpp: int) -> bytes:
    out = bytearray(len(row))
    for i, v in enumerate(row):
        a = row[i - bpp] if i >= bpp else 0
        b = prev[i] if prev else 0
        c = prev[i - bpp] if prev and i >= bpp else 0
        pred = [0, a, b, (a + b) // 2, _paeth(a, b, c)][kind]
        out[i] = (v - pred) & 0xFF
    return bytes([kind]) + bytes(out)


def write_png(path: Path, samples: np.ndarray, depth: int, color_type: int, *, plte: bytes | None = None,
              trns: bytes | None = None, interlace: bool = False, filters: bool = False) -> None:
    """samples: [h, w, channels] (or [h, w]) unsigned values of `depth` bits."""
    if samples.ndim == 2:
        samples = samples[..., None]
    h, w, ch = samples.shape
    assert ch == _CHANNELS[color_type]
    bpp = max(1, ch * depth // 8)
    passes = _ADAM7 if interlace else [(0, 0, 1, 1)]
    raw = bytearray()
    row_index = 0
    for x0, y0, dx, dy in passes:
        sub = samples[y0::dy, x0::dx]
        if sub.shape[0] == 0 or sub.shape[1] == 0:
            continue
        prev = b""
        for r in range(sub.shape[0]):
            row = _pack_row(sub[r].reshape(-1), depth)
            raw += _filter(row, prev, row_index % 5 if filters else 0, bpp)
            prev = row
            row_index += 1
    data = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, int(interlace)))
    if plte is not None:
        data += _chunk(b"PLTE", plte)
    if trns is not None:
        data += _chunk(b"tRNS", trns)
    data += _chunk(b"IDAT", _stored_zlib(bytes(raw))) + _chunk(b"IEND", b"")
    path.write_bytes(data)


# ------------------------------------------------------------------------------------------
# The reference: Pillow and the released processor
# ------------------------------------------------------------------------------------------


def resize_pillow(img: Image.Image, size: tuple[int, int]) -> Image.Image:
    return img.resize(size)


def resize_horizontal_first(img: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Pillow <= 12's pass order (horizontal, round to 8 bits, vertical) out of two
    one-axis resizes of the pinned Pillow: a one-axis resize runs exactly that pass."""
    w, h = size
    if img.size == size:
        return img.copy()
    if img.width != w and img.height != h:
        return img.resize((w, img.height)).resize((w, h))
    return img.resize(size)


def select_best_resolution(original_size, possible_resolutions):
    """image_processing_blip_3.py, as released. Also returns how the choice was made:
    0 = the largest effective resolution alone, 1 = the least waste among equals,
    2 = list order among equals in both."""
    original_width, original_height = original_size
    best_fit = None
    max_effective_resolution = 0
    min_wasted_resolution = float("inf")
    for width, height in possible_resolutions:
        scale = min(width / original_width, height / original_height)
        downscaled_width, downscaled_height = int(original_width * scale), int(original_height * scale)
        effective_resolution = min(downscaled_width * downscaled_height, original_width * original_height)
        wasted_resolution = (width * height) - effective_resolution
        if effective_resolution > max_effective_resolution or (
            effective_resolution == max_effective_resolution and wasted_resolution < min_wasted_resolution
        ):
            max_effective_resolution = effective_resolution
            min_wasted_resolution = wasted_resolution
            best_fit = (width, height)
    # How it was decided (bookkeeping for the tests, not part of the released code).
    effs = []
    for width, height in possible_resolutions:
        scale = min(width / original_width, height / original_height)
        e = min(int(original_width * scale) * int(original_height * scale), original_width * original_height)
        effs.append((e, width * height - e))
    top = [ew for ew in effs if ew[0] == max_effective_resolution]
    rule = 0 if len(top) == 1 else (2 if sum(1 for ew in top if ew[1] == min_wasted_resolution) > 1 else 1)
    return tuple(best_fit), rule


def resized_size(original_size, target_resolution):
    """resize_and_pad_image's new size, as released."""
    original_width, original_height = original_size
    target_width, target_height = target_resolution
    scale_w = target_width / original_width
    scale_h = target_height / original_height
    if scale_w < scale_h:
        new_width = target_width
        new_height = min(math.ceil(original_height * scale_w), target_height)
    else:
        new_height = target_height
        new_width = min(math.ceil(original_width * scale_h), target_width)
    return new_width, new_height


def processor_views(image: Image.Image, config: dict, resize) -> dict:
    """process_anyres_image (grids) or _preprocess (base mode) up to the 8-bit views."""
    s = config["image_size"]
    grids = config["grids"]
    # torchvision Resize((s, s)) on an s x s view is Pillow's resize to the same size: a copy.
    if not grids:
        return {"views": [resize(image, (s, s))], "grid": None, "resized": None}
    best, rule = select_best_resolution(image.size, grids)
    new_size = resized_size(image.size, best)
    resized = resize(image, new_size)
    canvas = Image.new("RGB", best, (0, 0, 0))
    canvas.paste(resized, ((best[0] - new_size[0]) // 2, (best[1] - new_size[1]) // 2))
    patches = []
    for i in range(0, best[1], s):
        for j in range(0, best[0], s):
            patches.append(canvas.crop((j, i, j + s, i + s)))
    views = [resize(image, (s, s))] + patches
    return {"views": views, "grid": best, "resized": new_size, "rule": rule}


def to_tensor_normalize(views_u8: np.ndarray, mean, std) -> np.ndarray:
    """ToTensor (x / 255 in float32) then Normalize ((x - mean) / std in float32).
    views_u8: [V, S, S, 3] -> [V, 3, S, S] float32."""
    t = views_u8.transpose(0, 3, 1, 2).astype(np.float32) / np.float32(255)
    m = np.asarray(mean, np.float32)[None, :, None, None]
    d = np.asarray(std, np.float32)[None, :, None, None]
    return ((t - m) / d).astype(np.float32)


def check_against_torch(views_u8: np.ndarray, mean, std, ours: np.ndarray) -> bool | None:
    """The same two steps with torch's own ops, as torchvision runs them; None without torch."""
    try:
        import torch
    except ImportError:
        return None
    t = torch.from_numpy(np.ascontiguousarray(views_u8)).permute(0, 3, 1, 2).contiguous()
    t = t.to(dtype=torch.float32).div(255)
    t = t.sub_(torch.as_tensor(mean, dtype=torch.float32).view(-1, 1, 1))
    t = t.div_(torch.as_tensor(std, dtype=torch.float32).view(-1, 1, 1))
    return t.numpy().tobytes() == ours.tobytes()


# ------------------------------------------------------------------------------------------
# Golden storage
# ------------------------------------------------------------------------------------------


class Tensors:
    """A safetensors file (U8 / I32 / F32), header padded to 8 bytes."""

    def __init__(self):
        self.items: dict[str, np.ndarray] = {}
        self.by_content: dict[tuple, str] = {}

    def add(self, name: str, array: np.ndarray) -> str:
        """Stores `array` as `name`, or returns the name it is already stored under."""
        array = np.ascontiguousarray(array)
        key = (array.dtype.str, array.shape, array.tobytes())
        if key in self.by_content:
            return self.by_content[key]
        assert name not in self.items, name
        self.items[name] = array
        self.by_content[key] = name
        return name

    def write(self, path: Path) -> None:
        """4-byte types first, then bytes, as the safetensors library orders by alignment, so
        that every tensor is aligned to its element size in the file."""
        dtypes = {np.dtype(np.uint8): "U8", np.dtype(np.int32): "I32", np.dtype(np.float32): "F32"}
        header, blobs, offset = {}, [], 0
        for name in sorted(self.items, key=lambda n: (-self.items[n].dtype.itemsize, n)):
            a = self.items[name]
            data = a.astype(a.dtype.newbyteorder("<")).tobytes()
            header[name] = {"dtype": dtypes[a.dtype], "shape": list(a.shape), "data_offsets": [offset, offset + len(data)]}
            blobs.append(data)
            offset += len(data)
        text = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
        text += b" " * (-len(text) % 8)
        path.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def crc32(a: np.ndarray) -> int:
    return zlib.crc32(np.ascontiguousarray(a).tobytes())


def sample_positions(seed: int, count: int, width: int, height: int, views: int = 1) -> np.ndarray:
    """[count, 3] (view, x, y) of the pixels kept for a large output; the C++ tests
    compute the same positions (SyntheticImage.h, samplePosition)."""
    k = np.arange(count, dtype=np.uint64)
    h1 = _mix((k * np.uint64(0x9E3779B1) + np.uint64((seed * 0x85EBCA77) & 0xFFFFFFFF)) & U32)
    h2 = _mix(h1 ^ np.uint64(0x5BD1E995))
    h3 = _mix(h2 ^ np.uint64(0x5BD1E995))
    return np.stack([h3 % np.uint64(views), h1 % np.uint64(width), h2 % np.uint64(height)], -1).astype(np.int64)


def pixel_record(tensors: Tensors, name: str, rgb: np.ndarray, seed: int) -> dict:
    """A full [H, W, 3] tensor when small, else its CRC32 and SAMPLES sampled pixels."""
    h, w, _ = rgb.shape
    rec = {"width": w, "height": h, "crc32": crc32(rgb)}
    if rgb.nbytes <= FULL_TENSOR_LIMIT:
        rec["tensor"] = tensors.add(name, rgb)
    else:
        pos = sample_positions(seed, SAMPLES, w, h)
        rec["sample_seed"] = seed
        rec["samples_tensor"] = tensors.add(f"samples/{name}", rgb[pos[:, 2], pos[:, 1]])
    return rec


# ------------------------------------------------------------------------------------------
# Inputs
# ------------------------------------------------------------------------------------------

SYNTHETIC = {  # name: (width, height, seed, noise_bits)
    "syn_1x1": (1, 1, 1, 5),
    "syn_2x3": (2, 3, 2, 5),
    "syn_17x300": (17, 300, 3, 5),
    "syn_42x42": (42, 42, 4, 5),
    "syn_49x49": (49, 49, 5, 5),
    "syn_84x42": (84, 42, 6, 5),
    "syn_383x385": (383, 385, 7, 5),
    "syn_384x384": (384, 384, 8, 5),
    "syn_640x480": (640, 480, 9, 5),
    "syn_480x640": (480, 640, 10, 5),
    "syn_3000x200": (3000, 200, 11, 5),
    "syn_200x3000": (200, 3000, 12, 5),
    "syn_1000x1": (1000, 1, 13, 5),
    "syn_1x1000": (1, 1000, 14, 5),
    "syn_1x40": (1, 40, 15, 5),
    "syn_40x1": (40, 1, 16, 5),
}


def make_inputs() -> list[dict]:
    """Writes inputs/*.png|jpg; returns [{file, note}] of the decodable ones."""
    files = []

    def add(name: str, note: str):
        files.append({"file": f"inputs/{name}", "note": note})

    def pil_save(name: str, img: Image.Image, note: str, **kw):
        img.save(INPUTS / name, **kw)
        add(name, note)

    def hand(name: str, note: str, *args, **kw):
        write_png(INPUTS / name, *args, **kw)
        add(name, note)

    # PNG written by Pillow (real deflate, adaptive filters).
    pil_save("png_rgb8_1x1.png", Image.fromarray(synthetic(1, 1, 20, 2)), "RGB 8-bit, 1x1")
    pil_save("png_gray8_17x300.png", Image.fromarray(synthetic(17, 300, 21, 2)[..., 0], "L"), "L 8-bit")
    bits = synthetic(37, 23, 22, 5)[..., 0] > 127
    pil_save("png_gray1_37x23.png", Image.fromarray(bits).convert("1"), "mode 1 (1-bit gray)")
    img = Image.fromarray(synthetic(31, 17, 23, 2)[..., 1], "L")
    pil_save("png_gray8_trns_31x17.png", img, "L with tRNS (ignored)", transparency=int(img.getpixel((3, 3))))
    a = synthetic(33, 20, 24, 2)
    pil_save("png_la8_33x20.png", Image.fromarray(np.stack([a[..., 0], a[..., 2]], -1), "LA"), "LA: alpha dropped")
    a = synthetic(40, 31, 25, 2)
    rgba = np.concatenate([a, synthetic(40, 31, 26, 5)[..., :1]], -1)
    pil_save("png_rgba8_40x31.png", Image.fromarray(rgba, "RGBA"), "RGBA: alpha dropped, not composited")
    rng = np.random.default_rng(27)
    palette = rng.integers(0, 256, 256 * 3).astype(np.uint8).tobytes()
    idx = (synthetic(23, 19, 28, 5)[..., 0]).astype(np.uint8)
    pimg = Image.fromarray(idx, "P")
    pimg.putpalette(palette)
    pil_save("png_palette8_23x19.png", pimg, "P, 256 entries")
    pimg2 = pimg.copy()
    pil_save("png_palette8_trns_23x19.png", pimg2, "P with a tRNS alpha per entry",
             transparency=bytes(rng.integers(0, 256, 256).astype(np.uint8)))
    pil_save("png_palette8_trns1_23x19.png", pimg.copy(), "P with one transparent index", transparency=7)
    g16 = synthetic(31, 29, 29, 5)[..., 0].astype(np.uint16) * np.uint16(257)
    g16[::2] = synthetic(31, 29, 30, 5)[::2, :, 1].astype(np.uint16) + np.uint16(100)  # 100..355: around the clamp
    pil_save("png_gray16_31x29.png", Image.fromarray(g16), "I;16: clamped to 255, not scaled")
    pil_save("png_smooth_383x385.png", Image.fromarray(synthetic(383, 385, 31, 0)), "RGB 8-bit, full pipeline")

    # PNG written here: what Pillow cannot write.
    a = synthetic(37, 23, 32, 5)
    hand("png_gray2_37x23.png", "2-bit gray (x85)", a[..., 0] >> 6, 2, 0)
    hand("png_gray4_37x23.png", "4-bit gray (x17)", a[..., 1] >> 4, 4, 0)
    plte5 = bytes([200, 10, 10, 10, 200, 10, 10, 10, 200, 250, 250, 0, 0, 250, 250])
    hand("png_palette4_short_29x13.png", "4-bit P, 5-entry PLTE: larger indices black",
         synthetic(29, 13, 33, 5)[..., 0] >> 4, 4, 3, plte=plte5)
    hand("png_palette1_21x9.png", "1-bit P", synthetic(21, 9, 34, 5)[..., 0] >> 7, 1, 3, plte=bytes([9, 99, 199, 255, 128, 0]))
    hand("png_palette2_21x9.png", "2-bit P with tRNS", synthetic(21, 9, 35, 5)[..., 0] >> 6, 2, 3,
         plte=bytes(range(12)), trns=bytes([0, 255]))
    s16 = synthetic(29, 17, 36, 5).astype(np.uint16) * np.uint16(257) + np.uint16(99)
    hand("png_rgb16_29x17.png", "RGB 16-bit: high byte", s16, 16, 2)
    hand("png_rgba16_21x15.png", "RGBA 16-bit: high bytes, alpha dropped",
         np.concatenate([synthetic(21, 15, 37, 5).astype(np.uint16) * np.uint16(255),
                         synthetic(21, 15, 38, 5)[..., :1].astype(np.uint16) * np.uint16(3)], -1), 16, 6)
    hand("png_la16_19x14.png", "LA 16-bit (Pillow mode RGBA): gray high byte",
         synthetic(19, 14, 39, 5)[..., :2].astype(np.uint16) * np.uint16(251), 16, 4)
    hand("png_gray16_trns_13x11.png", "16-bit gray with tRNS",
         synthetic(13, 11, 40, 5)[..., 0].astype(np.uint16) * np.uint16(3), 16, 0, trns=struct.pack(">H", 300))
    hand("png_rgb8_trns_15x10.png", "RGB with tRNS", synthetic(15, 10, 41, 5), 8, 2, trns=struct.pack(">HHH", 1, 2, 3))
    hand("png_rgb8_interlaced_45x37.png", "RGB Adam7", synthetic(45, 37, 42, 5), 8, 2, interlace=True)
    hand("png_palette2_interlaced_45x37.png", "2-bit P Adam7", synthetic(45, 37, 43, 5)[..., 0] >> 6, 2, 3,
         plte=bytes([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255]), interlace=True)
    hand("png_gray16_interlaced_13x11.png", "16-bit gray Adam7",
         synthetic(13, 11, 44, 5)[..., 0].astype(np.uint16) * np.uint16(2), 16, 0, interlace=True)
    hand("png_rgba8_filters_50x20.png", "RGBA, filter types 0-4 in turn",
         np.concatenate([synthetic(50, 20, 45, 5), synthetic(50, 20, 46, 5)[..., :1]], -1), 8, 6, filters=True)
    hand("png_gray4_filters_interlaced_23x19.png", "4-bit gray, Adam7, filters 0-4",
         synthetic(23, 19, 47, 5)[..., 0] >> 4, 4, 0, interlace=True, filters=True)

    # JPEG written by Pillow's libjpeg-turbo.
    photo = Image.fromarray(synthetic(97, 61, 50, 2))
    for ss, tag in ((2, "420"), (1, "422"), (0, "444")):
        pil_save(f"jpeg_baseline{tag}_97x61.jpg", photo, f"baseline, {tag} subsampling", quality=90, subsampling=ss)
        pil_save(f"jpeg_progressive{tag}_97x61.jpg", photo, f"progressive, {tag}", quality=90, subsampling=ss,
                 progressive=True)
    pil_save("jpeg_gray_97x61.jpg", photo.convert("L"), "grayscale", quality=90)
    pil_save("jpeg_gray_progressive_97x61.jpg", photo.convert("L"), "grayscale progressive", progressive=True)
    pil_save("jpeg_cmyk_45x33.jpg", Image.fromarray(synthetic(45, 33, 51, 2)).convert("CMYK"),
             "Adobe CMYK: Pillow's cmyk2rgb", quality=95)
    pil_save("jpeg_rgb_adobe_45x33.jpg", Image.fromarray(synthetic(45, 33, 52, 2)), "RGB stored as RGB (Adobe transform 0)",
             keep_rgb=True)
    pil_save("jpeg_restart_97x61.jpg", photo, "restart markers every 2 MCUs", restart_marker_blocks=2)
    pil_save("jpeg_1x1.jpg", Image.fromarray(synthetic(1, 1, 53, 2)), "1x1")
    pil_save("jpeg_progressive_17x300.jpg", Image.fromarray(synthetic(17, 300, 54, 2)), "progressive, tall",
             progressive=True)
    exif = Image.Exif()
    exif[0x0112] = 6
    pil_save("jpeg_exif_orientation6_40x24.jpg", Image.fromarray(synthetic(40, 24, 55, 2)),
             "EXIF orientation 6: not applied (Pillow does not)", exif=exif.tobytes())
    pil_save("jpeg_baseline_640x480.jpg", Image.fromarray(synthetic(640, 480, 56, 0)), "full pipeline", quality=75)
    return files


def make_error_files() -> list[dict]:
    """Broken inputs; `expect` is a substring of the runtime's message."""
    errors = []

    def add(name: str, data: bytes, expect: str, note: str):
        (INPUTS / name).write_bytes(data)
        errors.append({"file": f"inputs/{name}", "expect": expect, "note": note})

    jpeg = (INPUTS / "jpeg_baseline420_97x61.jpg").read_bytes()
    prog = (INPUTS / "jpeg_progressive420_97x61.jpg").read_bytes()
    png = (INPUTS / "png_rgba8_40x31.png").read_bytes()
    add("err_truncated.jpg", jpeg[: len(jpeg) * 6 // 10], "truncated JPEG", "baseline JPEG cut at 60%")
    add("err_truncated_progressive.jpg", prog[: len(prog) // 2], "truncated JPEG", "progressive JPEG cut at 50%")
    add("err_no_eoi.jpg", jpeg[:-2], "truncated JPEG", "JPEG without its EOI marker")
    idat = png.index(b"IDAT")
    add("err_truncated.png", png[: idat + 40], "truncated PNG", "PNG cut inside IDAT")
    add("err_truncated_header.png", png[:20], "truncated PNG", "PNG cut inside IHDR")
    add("err_text.txt", b"This is a text file, not an image.\n", "not a JPEG or PNG file", "text")
    add("err_text_named.jpg", b"hello\n", "not a JPEG or PNG file", "text with a .jpg name")
    add("err_empty.png", b"", "empty file", "0 bytes")
    gif = io.BytesIO()
    Image.fromarray(synthetic(8, 8, 60, 5)).save(gif, "GIF")
    add("err_gif_8x8.gif", gif.getvalue(), "unsupported image format GIF", "GIF")

    def png_header(w: int, h: int, depth=8, ctype=2) -> bytes:
        return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0, 0))
                + _chunk(b"IDAT", _stored_zlib(b"\0" * 16)) + _chunk(b"IEND", b""))

    add("err_bomb_100000x100000.png", png_header(100000, 100000), "possible decompression bomb",
        "IHDR claims 10^10 pixels")
    add("err_bomb_9460x9460.png", png_header(9460, 9460), "possible decompression bomb",
        "89,491,600 pixels: just over the cap (Pillow only warns up to twice it)")
    add("err_zero_width.png", png_header(0, 10), "zero-size image", "IHDR width 0")
    add("err_zero_height.png", png_header(10, 0, 1, 0), "zero-size image", "IHDR height 0")
    bad_crc = bytearray(png)
    bad_crc[29] ^= 0xFF  # the first byte of the IHDR CRC
    add("err_bad_ihdr_crc.png", bytes(bad_crc), "invalid PNG", "IHDR CRC mismatch")
    tiny = (INPUTS / "jpeg_1x1.jpg").read_bytes()
    sof = tiny.index(b"\xff\xc0")

    def jpeg_size(w: int, h: int) -> bytes:
        b = bytearray(tiny)
        b[sof + 5 : sof + 9] = struct.pack(">HH", h, w)
        return bytes(b)

    add("err_bomb_65500x65500.jpg", jpeg_size(65500, 65500), "possible decompression bomb",
        "SOF claims 65500 x 65500 (the JPEG maximum is 65535)")
    add("err_zero_height.jpg", jpeg_size(1, 0), "zero-size image", "SOF height 0 (a DNL marker would give it)")
    add("err_zero_width.jpg", jpeg_size(0, 1), "zero-size image", "SOF width 0")
    return errors


def pil_outcome(path: Path) -> str:
    """What Pillow says about a broken file (recorded for the README's comparison)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                im.convert("RGB")
        return "decodes"
    except Exception as e:  # noqa: BLE001 - any failure is the answer
        return f"{type(e).__name__}: {e}".replace(str(HERE) + "/", "")


# ------------------------------------------------------------------------------------------
# Goldens
# ------------------------------------------------------------------------------------------

RESIZES = [  # (input, width, height): down, up, mixed, one-axis, extreme factors
    ("syn_1x1", 5, 7), ("syn_1x1", 384, 384), ("syn_2x3", 384, 384), ("syn_2x3", 7, 2),
    ("syn_17x300", 9, 150), ("syn_17x300", 34, 600), ("syn_17x300", 17, 100), ("syn_17x300", 60, 300),
    ("syn_42x42", 42, 21), ("syn_49x49", 42, 42), ("syn_84x42", 42, 42),
    ("syn_383x385", 97, 31), ("syn_383x385", 384, 384), ("syn_383x385", 768, 768), ("syn_383x385", 382, 385),
    ("syn_640x480", 64, 48), ("syn_640x480", 768, 576), ("syn_640x480", 384, 384), ("syn_640x480", 42, 42),
    ("syn_480x640", 384, 384), ("syn_480x640", 576, 768), ("syn_480x640", 200, 100),
    ("syn_3000x200", 150, 10), ("syn_3000x200", 1152, 77), ("syn_3000x200", 384, 384), ("syn_3000x200", 126, 9),
    ("syn_200x3000", 10, 150), ("syn_200x3000", 77, 1152), ("syn_200x3000", 384, 384), ("syn_200x3000", 9, 126),
    ("syn_1000x1", 7, 3), ("syn_1000x1", 384, 384), ("syn_1x1000", 3, 7), ("syn_1x1000", 384, 384),
    ("syn_1x40", 7, 3), ("syn_40x1", 3, 9),
]

PREPROCESS_INPUTS = list(SYNTHETIC) + [
    "inputs/jpeg_baseline_640x480.jpg", "inputs/png_smooth_383x385.png", "inputs/png_rgba8_40x31.png",
    "inputs/png_gray16_31x29.png",
]


def load_configs() -> dict:
    tiny = json.loads((REPO / "test/fixtures/tiny_gqa_fp32_4shards/preprocessor_config.json").read_text())
    xgenmm_grids = [[384, 768], [768, 384], [768, 768], [1152, 384], [384, 1152]]
    clip_mean, clip_std = [0.48145466, 0.4578275, 0.40821073], [0.26862954, 0.26130258, 0.27577711]
    return {
        "xgenmm": {"image_size": 384, "grids": xgenmm_grids, "mean": [0.5] * 3, "std": [0.5] * 3},
        "xgenmm_base": {"image_size": 384, "grids": [], "mean": [0.5] * 3, "std": [0.5] * 3},
        "tiny": {"image_size": tiny["size"][0], "grids": tiny["grids"], "mean": tiny["image_mean"],
                 "std": tiny["image_std"]},
        "tiny_base": {"image_size": tiny["size"][0], "grids": [], "mean": tiny["image_mean"],
                      "std": tiny["image_std"]},
        "tiny_clip_norm": {"image_size": tiny["size"][0], "grids": tiny["grids"], "mean": clip_mean,
                           "std": clip_std},
    }


def load_input(name: str) -> Image.Image:
    if name in SYNTHETIC:
        w, h, seed, bits = SYNTHETIC[name]
        return Image.fromarray(synthetic(w, h, seed, bits))
    with Image.open(HERE / name) as im:
        return im.convert("RGB")


def grid_table(grids, sizes) -> tuple[np.ndarray, dict]:
    rows, counts = [], [0, 0, 0]
    for w0, h0 in sizes:
        best, rule = select_best_resolution((w0, h0), grids)
        nw, nh = resized_size((w0, h0), best)
        rows.append([w0, h0, best[0], best[1], nw, nh, rule])
        counts[rule] += 1
    return np.asarray(rows, np.int32), {"decided_by_effective": counts[0], "decided_by_waste": counts[1],
                                        "decided_by_order": counts[2]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--any-version", action="store_true", help="run with other versions than requirements.txt")
    args = parser.parse_args()
    pinned = {}
    for line in (HERE / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, want = line.split("==")
            pinned[name] = want
    have = {name: version(name) for name in pinned}
    if have != pinned and not args.any_version:
        sys.exit(f"versions {have} differ from requirements.txt {pinned}: "
                 f"pip install -r {HERE / 'requirements.txt'} (or pass --any-version)")
    assert Image.MAX_IMAGE_PIXELS == MAX_IMAGE_PIXELS

    if INPUTS.exists():
        shutil.rmtree(INPUTS)
    INPUTS.mkdir()
    tensors = Tensors()
    configs = load_configs()
    out = {
        "generator": "test/reference/images/make_image_goldens.py",
        "versions": {**have, "libjpeg_turbo": features.version("libjpeg_turbo"), "zlib": features.version("zlib")},
        "max_image_pixels": MAX_IMAGE_PIXELS,
        "synthetic": {k: {"width": w, "height": h, "seed": s, "noise_bits": b} for k, (w, h, s, b) in SYNTHETIC.items()},
        "configs": configs,
    }

    # Decoding.
    decode = []
    for i, entry in enumerate(make_inputs()):
        path = HERE / entry["file"]
        with Image.open(path) as im:
            mode = im.mode
            rgb = np.asarray(im.convert("RGB"))
        stem = Path(entry["file"]).stem
        decode.append({**entry, "pil_mode": mode, **pixel_record(tensors, f"decode/{stem}", rgb, 1000 + i)})
    out["decode"] = decode
    errors = make_error_files()
    for e in errors:
        e["pil"] = pil_outcome(HERE / e["file"])
    out["errors"] = errors

    # Resizing, in both pass orders.
    resize_out = []
    for i, (name, w, h) in enumerate(RESIZES):
        img = load_input(name)
        w0, h0 = img.size
        vertical_first = (h0 - h) > 0 and (h0 - h) > (w0 - w) * 2 and w != w0 and h != h0
        for order, fn in (("pillow13", resize_pillow), ("horizontal_first", resize_horizontal_first)):
            rgb = np.asarray(fn(img, (w, h)))
            rec = pixel_record(tensors, f"resize/{order}/{name}_to_{w}x{h}", rgb, 2000 + i)
            resize_out.append({"input": name, "order": order, "pillow13_vertical_first": vertical_first, **rec})
        # The two orders agree exactly when Pillow 13 runs the horizontal pass first.
        if not vertical_first:
            assert resize_out[-1]["crc32"] == resize_out[-2]["crc32"], (name, w, h)
    out["resize"] = resize_out

    # Preprocessing.
    pre = []
    torch_checked = []
    for i, name in enumerate(PREPROCESS_INPUTS):
        img = load_input(name)
        for cname, config in configs.items():
            orders = ("pillow13", "horizontal_first") if cname in ("xgenmm", "tiny") else ("pillow13",)
            for order in orders:
                fn = resize_pillow if order == "pillow13" else resize_horizontal_first
                r = processor_views(img, config, fn)
                views = np.stack([np.asarray(v) for v in r["views"]])  # [V, S, S, 3]
                pixels = to_tensor_normalize(views, config["mean"], config["std"])
                if len(torch_checked) < 8 or cname == "tiny_clip_norm":
                    ok = check_against_torch(views, config["mean"], config["std"], pixels)
                    if ok is not None:
                        assert ok, (name, cname)
                        torch_checked.append((name, cname))
                s = config["image_size"]
                key = f"{Path(name).stem}/S{s}/{'grids' if config['grids'] else 'base'}/{order}"
                rec = {
                    "input": name, "config": cname, "order": order, "image_size": s,
                    "size": list(img.size), "views": len(r["views"]),
                    "grid": list(r["grid"]) if r["grid"] else None,
                    "resized": list(r["resized"]) if r["resized"] else None,
                    "grid_rule": r.get("rule"),
                    "grid_rows": r["grid"][1] // s if r["grid"] else 0,
                    "grid_cols": r["grid"][0] // s if r["grid"] else 0,
                    "views_crc32": crc32(views),
                    "pixels_crc32": crc32(pixels),
                    "view_sums": [int(v.sum(dtype=np.int64)) for v in views],
                }
                if views.nbytes <= 4 * FULL_TENSOR_LIMIT:
                    rec["views_tensor"] = tensors.add(f"views/{key}", views)
                else:
                    seed = 3000 + len(pre)
                    pos = sample_positions(seed, SAMPLES, s, s, len(views))
                    rec["sample_seed"] = seed
                    rec["samples_tensor"] = tensors.add(f"samples/views/{key}", views[pos[:, 0], pos[:, 2], pos[:, 1]])
                pre.append(rec)
    out["preprocess"] = pre
    out["normalization_checked_against_torch"] = len(torch_checked)
    # The reference ToTensor + Normalize of every byte value, per config: [3, 256].
    lut = np.arange(256, dtype=np.uint8)[None, None, :, None].repeat(3, axis=3)  # [1, 1, 256, 3]
    for cname, config in configs.items():
        config["lut_tensor"] = tensors.add(f"lut/{cname}", to_tensor_normalize(lut, config["mean"], config["std"])[0, :, 0, :])

    # Grid selection tables.
    tables = {}
    rng = np.random.default_rng(4000)
    for cname in ("xgenmm", "tiny"):
        grids = configs[cname]["grids"]
        s = configs[cname]["image_size"]
        edges = sorted({v for m in (1, 2, 3, 4) for d in (-1, 0, 1) for v in (m * s + d,) if v > 0}
                       | {1, 2, 3, 5, 7, 10, 16, 27, 49, 64, 100, 127, 200, 255, 300, 480, 500, 640, 700, 1000, 1024,
                          1280, 1500, 2000, 2048, 3000, 4000, 5000, 10000})
        sizes = [(a, b) for a in edges for b in edges]
        sizes += [(int(a), int(b)) for a, b in rng.integers(1, 6000, (1500, 2))]
        sizes += [(int(a), int(b)) for a, b in rng.integers(1, 4 * s, (1500, 2))]
        table, counts = grid_table(grids, sizes)
        tables[cname] = {"tensor": tensors.add(f"grid_table/{cname}", table), "rows": len(table), **counts}
    out["grid_tables"] = tables

    tensors.write(HERE / "goldens.safetensors")
    (HERE / "goldens.json").write_text(json.dumps(out, indent=1) + "\n")
    total = sum(p.stat().st_size for p in HERE.rglob("*") if p.is_file())
    print(f"wrote {len(decode)} decode, {len(errors)} error, {len(resize_out)} resize, {len(pre)} preprocess goldens, "
          f"{sum(t['rows'] for t in tables.values())} grid rows; normalization checked against torch "
          f"{len(torch_checked)} times; {total / 1e6:.2f} MB under {HERE.relative_to(REPO)}")


if __name__ == "__main__":
    main()
