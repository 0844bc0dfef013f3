//===- JpegDecoder.cpp - JPEG to RGB with libjpeg-turbo -------------------===//
//
// Matches Pillow's JpegImagePlugin: 1 component -> "L", 3 -> "RGB" (libjpeg
// converts YCbCr), 4 -> "CMYK" read with rawmode "CMYK;I" (Adobe polarity
// assumed for every 4-component file), then convert('RGB'). Default libjpeg
// decoding parameters (islow IDCT, fancy upsampling), as Pillow uses.
//
// libjpeg reports fatal errors through error_exit, which must not return:
// ours longjmps back into the function that called setjmp. Those functions
// (readHeader, readPixels) hold no C++ object with a destructor, so the jump
// skips nothing but libjpeg's C frames; buffers are allocated by the caller
// between the two phases.
//
//===----------------------------------------------------------------------===//

#include "runtime/image/FormatDecoders.h"
#include "runtime/image/ImageDecoder.h"

#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <vector>

#include <jerror.h>
#include <jpeglib.h>

namespace xgenmm::image::detail {
namespace {

struct JpegDecoder {
  jpeg_decompress_struct cinfo;
  jpeg_error_mgr errorManager;
  jpeg_progress_mgr progress;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX + 64]; // set by the callbacks
  bool created;
  bool truncated;
};

JpegDecoder *decoderOf(j_common_ptr cinfo) {
  return static_cast<JpegDecoder *>(cinfo->client_data);
}

extern "C" void onJpegError(j_common_ptr cinfo) {
  JpegDecoder *decoder = decoderOf(cinfo);
  char text[JMSG_LENGTH_MAX];
  (*cinfo->err->format_message)(cinfo, text);
  if (decoder->truncated) // the error follows from the missing data
    std::snprintf(decoder->message, sizeof(decoder->message),
                  "truncated JPEG (the data ends before the image does)");
  else if (cinfo->err->msg_code == JERR_EMPTY_IMAGE)
    std::snprintf(decoder->message, sizeof(decoder->message),
                  "zero-size image (the JPEG frame header gives a zero width "
                  "or height)");
  else
    std::snprintf(decoder->message, sizeof(decoder->message),
                  "invalid JPEG: %s", text);
  std::longjmp(decoder->jump, 1);
}

// Warnings (corrupt data that libjpeg can decode around) are ignored as
// Pillow ignores them, except running out of data: Pillow refuses a
// truncated file ("image file is truncated") and so do we.
extern "C" void onJpegMessage(j_common_ptr cinfo, int level) {
  if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF)
    decoderOf(cinfo)->truncated = true;
}

extern "C" void onJpegProgress(j_common_ptr cinfo) {
  auto *dinfo = reinterpret_cast<j_decompress_ptr>(cinfo);
  if (dinfo->input_scan_number > kMaxJpegScans) {
    JpegDecoder *decoder = decoderOf(cinfo);
    std::snprintf(decoder->message, sizeof(decoder->message),
                  "progressive JPEG with more than %d scans refused",
                  kMaxJpegScans);
    std::longjmp(decoder->jump, 1);
  }
}

// Phase 1: parse the markers up to the first scan. No C++ objects here.
bool readHeader(JpegDecoder *decoder, const uint8_t *data, size_t size) {
  if (setjmp(decoder->jump))
    return false;
  j_decompress_ptr cinfo = &decoder->cinfo;
  jpeg_create_decompress(cinfo);
  decoder->created = true;
  decoder->progress.progress_monitor = onJpegProgress;
  cinfo->progress = &decoder->progress;
  jpeg_mem_src(cinfo, data, static_cast<unsigned long>(size));
  if (jpeg_read_header(cinfo, TRUE) != JPEG_HEADER_OK) {
    std::snprintf(decoder->message, sizeof(decoder->message),
                  "invalid JPEG: no image (an abbreviated tables-only stream)");
    return false;
  }
  return true;
}

// Phase 2: decode every scanline into `rgb` (width * height * 3 bytes),
// using `row` (width * components bytes) as the libjpeg output row.
bool readPixels(JpegDecoder *decoder, uint8_t *rgb, uint8_t *row) {
  if (setjmp(decoder->jump))
    return false;
  j_decompress_ptr cinfo = &decoder->cinfo;
  jpeg_start_decompress(cinfo);
  const JDIMENSION width = cinfo->output_width;
  const int components = cinfo->output_components;
  while (cinfo->output_scanline < cinfo->output_height) {
    uint8_t *out = rgb + size_t(cinfo->output_scanline) * width * 3;
    JSAMPROW rows[1] = {row};
    if (jpeg_read_scanlines(cinfo, rows, 1) != 1)
      break; // suspension cannot happen with a memory source
    if (components == 1) {
      for (JDIMENSION x = 0; x < width; ++x)
        out[3 * x] = out[3 * x + 1] = out[3 * x + 2] = row[x];
    } else if (components == 3) {
      std::memcpy(out, row, size_t(width) * 3);
    } else {
      // Pillow: rawmode "CMYK;I" inverts libjpeg's Adobe CMYK, then
      // cmyk2rgb computes nk - MULDIV255(c, nk) with nk = 255 - k.
      for (JDIMENSION x = 0; x < width; ++x) {
        const uint8_t *p = row + 4 * x;
        const int nk = p[3]; // 255 - (255 - raw k)
        for (int c = 0; c < 3; ++c) {
          const int ink = 255 - p[c];
          const int tmp = ink * nk + 128;
          out[3 * x + c] = uint8_t(nk - (((tmp >> 8) + tmp) >> 8));
        }
      }
    }
  }
  jpeg_finish_decompress(cinfo);
  return true;
}

} // namespace

bool decodeJpeg(const uint8_t *data, size_t size, RgbImage &out,
                std::string &error) {
  JpegDecoder decoder;
  std::memset(&decoder, 0, sizeof(decoder));
  decoder.cinfo.err = jpeg_std_error(&decoder.errorManager);
  decoder.errorManager.error_exit = onJpegError;
  decoder.errorManager.emit_message = onJpegMessage;
  decoder.cinfo.client_data = &decoder;

  bool ok = readHeader(&decoder, data, size);
  std::string problem; // set for failures found here, not by libjpeg
  std::vector<uint8_t> row;
  if (ok) {
    jpeg_decompress_struct &cinfo = decoder.cinfo;
    if (!checkImageDimensions(cinfo.image_width, cinfo.image_height, problem))
      ok = false;
    else if (cinfo.num_components == 1)
      cinfo.out_color_space = JCS_GRAYSCALE;
    else if (cinfo.num_components == 3)
      cinfo.out_color_space = JCS_RGB;
    else if (cinfo.num_components == 4)
      cinfo.out_color_space = JCS_CMYK;
    else {
      problem = "JPEG with " + std::to_string(cinfo.num_components) +
                " components is not supported (only 1, 3 and 4, as in Pillow)";
      ok = false;
    }
    if (ok) {
      out.width = int(cinfo.image_width);
      out.height = int(cinfo.image_height);
      out.rgb.resize(size_t(out.width) * size_t(out.height) * 3);
      row.resize(size_t(out.width) * size_t(cinfo.num_components));
      ok = readPixels(&decoder, out.rgb.data(), row.data());
      if (ok && decoder.truncated) {
        problem = "truncated JPEG (the data ends before the image does)";
        ok = false;
      }
    }
  }
  if (decoder.created)
    jpeg_destroy_decompress(&decoder.cinfo);
  if (!ok) {
    out = RgbImage();
    error = problem.empty() ? std::string(decoder.message) : problem;
  }
  return ok;
}

} // namespace xgenmm::image::detail
