//===- TempDir.h - a temporary directory per test ---------------*- C++ -*-===//
#ifndef XGENMM_TEST_RUNTIME_TEMPDIR_H
#define XGENMM_TEST_RUNTIME_TEMPDIR_H

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

namespace xgenmm::fake {

/// A fresh directory under /tmp, removed with everything in it.
class TempDir {
public:
  TempDir() {
    char pattern[] = "/tmp/xgenmm-runtime-test-XXXXXX";
    if (::mkdtemp(pattern))
      path_ = pattern;
    else
      ADD_FAILURE() << "mkdtemp: " << std::strerror(errno);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;

  const std::string &path() const { return path_; }
  std::string operator/(const std::string &name) const {
    return path_ + "/" + name;
  }

private:
  std::string path_;
};

} // namespace xgenmm::fake

#endif // XGENMM_TEST_RUNTIME_TEMPDIR_H
