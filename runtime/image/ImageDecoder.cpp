//===- ImageDecoder.cpp - reading image files, dispatch by format ---------===//

#include "runtime/image/ImageDecoder.h"

#include "runtime/image/FormatDecoders.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace xgenmm::image {
namespace {

bool startsWith(const uint8_t *data, size_t size, const char *magic,
                size_t length) {
  return size >= length && std::memcmp(data, magic, length) == 0;
}

/// The name of a format we recognize but do not decode, or nullptr.
const char *unsupportedFormat(const uint8_t *data, size_t size) {
  if (startsWith(data, size, "GIF87a", 6) || startsWith(data, size, "GIF89a", 6))
    return "GIF";
  if (startsWith(data, size, "BM", 2))
    return "BMP";
  if (size >= 12 && startsWith(data, size, "RIFF", 4) &&
      std::memcmp(data + 8, "WEBP", 4) == 0)
    return "WebP";
  if (startsWith(data, size, "II*\0", 4) || startsWith(data, size, "MM\0*", 4))
    return "TIFF";
  if (size >= 12 && std::memcmp(data + 4, "ftyp", 4) == 0)
    return "HEIF/AVIF";
  if (startsWith(data, size, "\0\0\0\x0cjP  ", 8) ||
      startsWith(data, size, "\xff\x4f\xff\x51", 4))
    return "JPEG 2000";
  return nullptr;
}

bool readWholeFile(const std::string &path, std::vector<uint8_t> &bytes,
                   std::string &error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = path + ": cannot open: " + std::strerror(errno);
    return false;
  }
  struct stat status;
  if (::fstat(fd, &status) != 0) {
    error = path + ": cannot stat: " + std::strerror(errno);
    ::close(fd);
    return false;
  }
  if (!S_ISREG(status.st_mode)) {
    error = path + ": not a regular file";
    ::close(fd);
    return false;
  }
  if (uint64_t(status.st_size) > kMaxImageFileBytes) {
    error = path + ": file of " + std::to_string(status.st_size) +
            " bytes refused (more than " + std::to_string(kMaxImageFileBytes) +
            ")";
    ::close(fd);
    return false;
  }
  bytes.resize(size_t(status.st_size));
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      error = path + ": read error: " +
              (n < 0 ? std::strerror(errno) : "file shrank while read");
      ::close(fd);
      return false;
    }
    done += size_t(n);
  }
  ::close(fd);
  return true;
}

std::string hexPrefix(const uint8_t *data, size_t size) {
  std::string text;
  char byte[4];
  for (size_t i = 0; i < size && i < 8; ++i) {
    std::snprintf(byte, sizeof(byte), i ? " %02x" : "%02x", data[i]);
    text += byte;
  }
  return text;
}

} // namespace

bool checkImageDimensions(uint64_t width, uint64_t height,
                          std::string &error) {
  if (width == 0 || height == 0) {
    error = "zero-size image (" + std::to_string(width) + " x " +
            std::to_string(height) + ")";
    return false;
  }
  // Both come from 32-bit header fields, so the product cannot overflow.
  if (width * height > kMaxImagePixels) {
    error = "image of " + std::to_string(width) + " x " +
            std::to_string(height) + " = " + std::to_string(width * height) +
            " pixels refused: more than " + std::to_string(kMaxImagePixels) +
            " (possible decompression bomb)";
    return false;
  }
  return true;
}

bool decodeImageMemory(const uint8_t *data, size_t size,
                       const std::string &name, RgbImage &out,
                       std::string &error) {
  out = RgbImage();
  std::string problem;
  bool ok = false;
  if (size == 0) {
    problem = "empty file";
  } else if (startsWith(data, size, "\xff\xd8\xff", 3)) {
    ok = detail::decodeJpeg(data, size, out, problem);
  } else if (startsWith(data, size, "\x89PNG\r\n\x1a\n", 8)) {
    ok = detail::decodePng(data, size, out, problem);
  } else if (const char *format = unsupportedFormat(data, size)) {
    problem = std::string("unsupported image format ") + format +
              " (only JPEG and PNG are decoded)";
  } else {
    problem = "not a JPEG or PNG file (it starts with bytes " +
              hexPrefix(data, size) + ")";
  }
  if (!ok)
    error = name + ": " + problem;
  return ok;
}

bool decodeImageFile(const std::string &path, RgbImage &out,
                     std::string &error) {
  out = RgbImage();
  std::vector<uint8_t> bytes;
  if (!readWholeFile(path, bytes, error))
    return false;
  return decodeImageMemory(bytes.data(), bytes.size(), path, out, error);
}

} // namespace xgenmm::image
