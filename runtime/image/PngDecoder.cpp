//===- PngDecoder.cpp - PNG to RGB with libpng ----------------------------===//
//
// Matches Pillow's PngImagePlugin modes followed by convert('RGB'):
//
//   color type / depth    Pillow mode (rawmode)   -> RGB
//   gray 1/2/4/8          1, L (L;2, L;4)          v * 255 / 85 / 17 / 1
//   gray 16               I;16 (I;16B)             min(v, 255)
//   RGB 8/16              RGB (RGB, RGB;16B)       high byte
//   palette 1/2/4/8       P                        PLTE[i], black past PLTE
//   gray+alpha 8/16       LA, RGBA (LA;16B)        gray (high byte)
//   RGBA 8/16             RGBA (RGBA, RGBA;16B)    RGB (high bytes)
//
// tRNS is ignored (convert('RGB') drops transparency), and so are gAMA,
// sRGB, iCCP and sBIT. libpng is asked only to unpack sub-byte samples
// (png_set_packing) and to de-interlace; the conversions above are ours.
//
// libpng's fatal errors call onPngError, which longjmps back into the
// function that called setjmp (readHeader, readPixels); those hold no C++
// object with a destructor.
//
//===----------------------------------------------------------------------===//

#include "runtime/image/FormatDecoders.h"
#include "runtime/image/ImageDecoder.h"

#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <vector>

#include <png.h>

namespace xgenmm::image::detail {
namespace {

struct PngDecoder {
  png_structp png;
  png_infop info;
  const uint8_t *data;
  size_t size;
  size_t position;
  char message[512];

  // IHDR and PLTE, filled by readHeader.
  png_uint_32 width, height;
  int bitDepth, colorType, interlace;
  size_t rowBytes;
  int paletteSize;
  uint8_t palette[256 * 3];
};

extern "C" void onPngRead(png_structp png, png_bytep out, size_t count) {
  auto *decoder = static_cast<PngDecoder *>(png_get_io_ptr(png));
  if (decoder->size - decoder->position < count)
    png_error(png, "truncated PNG (the data ends before the image does)");
  std::memcpy(out, decoder->data + decoder->position, count);
  decoder->position += count;
}

extern "C" void onPngError(png_structp png, png_const_charp text) {
  auto *decoder = static_cast<PngDecoder *>(png_get_error_ptr(png));
  if (std::strncmp(text, "truncated PNG", 13) == 0)
    std::snprintf(decoder->message, sizeof(decoder->message), "%s", text);
  else
    std::snprintf(decoder->message, sizeof(decoder->message),
                  "invalid PNG: %s", text);
  png_longjmp(png, 1);
}

// Benign problems (bad ancillary chunk CRCs, unknown sRGB profiles) are
// ignored, as Pillow ignores them when decoding.
extern "C" void onPngWarning(png_structp, png_const_charp) {}

bool readHeader(PngDecoder *decoder) {
  if (setjmp(png_jmpbuf(decoder->png)))
    return false;
  png_structp png = decoder->png;
  png_infop info = decoder->info;
  png_set_read_fn(png, decoder, onPngRead);
  // Only kMaxImagePixels bounds the size (checked before libpng sees the
  // file); libpng's default 1,000,000-pixel width/height limit would refuse
  // images Pillow opens.
  png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
  png_read_info(png, info);
  png_get_IHDR(png, info, &decoder->width, &decoder->height,
               &decoder->bitDepth, &decoder->colorType, &decoder->interlace,
               nullptr, nullptr);
  if (decoder->bitDepth < 8)
    png_set_packing(png); // one byte per sample, values unscaled
  if (decoder->interlace != PNG_INTERLACE_NONE)
    png_set_interlace_handling(png);
  png_read_update_info(png, info);
  decoder->rowBytes = png_get_rowbytes(png, info);
  decoder->paletteSize = 0;
  png_colorp palette = nullptr;
  int count = 0;
  if (decoder->colorType == PNG_COLOR_TYPE_PALETTE &&
      png_get_PLTE(png, info, &palette, &count) == PNG_INFO_PLTE) {
    decoder->paletteSize = count < 256 ? count : 256;
    for (int i = 0; i < decoder->paletteSize; ++i) {
      decoder->palette[3 * i] = palette[i].red;
      decoder->palette[3 * i + 1] = palette[i].green;
      decoder->palette[3 * i + 2] = palette[i].blue;
    }
  }
  return true;
}

// One row of libpng output (after png_set_packing) to RGB.
void convertRow(const PngDecoder &d, const uint8_t *in, uint8_t *out) {
  const png_uint_32 width = d.width;
  const bool wide = d.bitDepth == 16;
  switch (d.colorType) {
  case PNG_COLOR_TYPE_GRAY: {
    if (wide) {
      for (png_uint_32 x = 0; x < width; ++x) {
        const unsigned v = (unsigned(in[2 * x]) << 8) | in[2 * x + 1];
        out[3 * x] = out[3 * x + 1] = out[3 * x + 2] =
            uint8_t(v > 255 ? 255 : v);
      }
      break;
    }
    const int scale = d.bitDepth == 1   ? 255
                      : d.bitDepth == 2 ? 85
                      : d.bitDepth == 4 ? 17
                                        : 1;
    for (png_uint_32 x = 0; x < width; ++x)
      out[3 * x] = out[3 * x + 1] = out[3 * x + 2] = uint8_t(in[x] * scale);
    break;
  }
  case PNG_COLOR_TYPE_GRAY_ALPHA: {
    const int step = wide ? 4 : 2;
    for (png_uint_32 x = 0; x < width; ++x)
      out[3 * x] = out[3 * x + 1] = out[3 * x + 2] = in[step * x];
    break;
  }
  case PNG_COLOR_TYPE_RGB:
  case PNG_COLOR_TYPE_RGB_ALPHA: {
    const int channels = d.colorType == PNG_COLOR_TYPE_RGB ? 3 : 4;
    const int bytes = wide ? 2 : 1;
    for (png_uint_32 x = 0; x < width; ++x)
      for (int c = 0; c < 3; ++c)
        out[3 * x + c] = in[(channels * x + c) * bytes];
    break;
  }
  case PNG_COLOR_TYPE_PALETTE:
    for (png_uint_32 x = 0; x < width; ++x) {
      const int i = in[x];
      if (i < d.paletteSize) {
        std::memcpy(out + 3 * x, d.palette + 3 * i, 3);
      } else {
        out[3 * x] = out[3 * x + 1] = out[3 * x + 2] = 0;
      }
    }
    break;
  }
}

// Non-interlaced images are converted row by row through `raw` (one row);
// interlaced ones need the whole image: `rows` then points at every row of
// `raw` (height rows).
bool readPixels(PngDecoder *decoder, uint8_t *rgb, uint8_t *raw,
                png_bytep *rows) {
  if (setjmp(png_jmpbuf(decoder->png)))
    return false;
  const size_t outStride = size_t(decoder->width) * 3;
  if (rows) {
    png_read_image(decoder->png, rows);
    for (png_uint_32 y = 0; y < decoder->height; ++y)
      convertRow(*decoder, rows[y], rgb + y * outStride);
  } else {
    for (png_uint_32 y = 0; y < decoder->height; ++y) {
      png_read_row(decoder->png, raw, nullptr);
      convertRow(*decoder, raw, rgb + y * outStride);
    }
  }
  // The chunks after the image data (and IEND) are not read: Pillow does not
  // need them either.
  return true;
}

uint32_t bigEndian32(const uint8_t *p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) |
         (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

} // namespace

bool decodePng(const uint8_t *data, size_t size, RgbImage &out,
               std::string &error) {
  // Check the size from IHDR (signature, length, "IHDR", width, height)
  // before libpng allocates anything for it.
  if (size < 8 + 8 + 13 || std::memcmp(data + 12, "IHDR", 4) != 0) {
    error = size < 8 + 8 + 13
                ? "truncated PNG (the data ends before the image does)"
                : "invalid PNG: the first chunk is not IHDR";
    return false;
  }
  if (!checkImageDimensions(bigEndian32(data + 16), bigEndian32(data + 20),
                            error))
    return false;

  PngDecoder decoder;
  std::memset(&decoder, 0, sizeof(decoder));
  decoder.data = data;
  decoder.size = size;
  decoder.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &decoder,
                                       onPngError, onPngWarning);
  if (decoder.png)
    decoder.info = png_create_info_struct(decoder.png);
  if (!decoder.png || !decoder.info) {
    png_destroy_read_struct(&decoder.png, nullptr, nullptr);
    error = "out of memory creating the PNG decoder";
    return false;
  }

  bool ok = readHeader(&decoder);
  if (ok) {
    out.width = int(decoder.width);
    out.height = int(decoder.height);
    out.rgb.resize(size_t(decoder.width) * decoder.height * 3);
    const bool interlaced = decoder.interlace != PNG_INTERLACE_NONE;
    std::vector<uint8_t> raw(decoder.rowBytes *
                             (interlaced ? size_t(decoder.height) : 1));
    std::vector<png_bytep> rows;
    if (interlaced) {
      rows.resize(decoder.height);
      for (png_uint_32 y = 0; y < decoder.height; ++y)
        rows[y] = raw.data() + y * decoder.rowBytes;
    }
    ok = readPixels(&decoder, out.rgb.data(), raw.data(),
                    interlaced ? rows.data() : nullptr);
  }
  png_destroy_read_struct(&decoder.png, &decoder.info, nullptr);
  if (!ok) {
    out = RgbImage();
    error = decoder.message;
  }
  return ok;
}

} // namespace xgenmm::image::detail
