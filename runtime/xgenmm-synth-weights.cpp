//===- xgenmm-synth-weights.cpp - weights.bin of stand-in values ----------===//
//
//   xgenmm-synth-weights <artifact-dir>
//
// Writes the artifact's weights.bin from its manifest alone (each tensor's
// name, offset, type) with the deterministic stand-in values of
// runtime/SyntheticWeights.h, the same bytes `xgenmm-compile
// --synthetic-weights` writes, and records the file's size and hash in
// manifest.json (weights.synthetic = true). For benchmarks: an artifact
// travels without its gigabytes of weights (to a machine with no compiler,
// e.g. the GPU device check) and gets them back there. Quantized artifacts
// are refused. Links no LLVM.
//
//===----------------------------------------------------------------------===//
#include "frontend/Json.h"
#include "runtime/ArtifactAbi.h"
#include "runtime/SyntheticWeights.h"
#include "runtime/Xxh64.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

using namespace xgenmm;

namespace {

int fail(const std::string &message) {
  std::fprintf(stderr, "xgenmm-synth-weights: error: %s\n", message.c_str());
  return 1;
}

/// `object` with `key` set to `value` (added when absent).
JsonValue with(const JsonValue &object, const std::string &key, JsonValue value) {
  std::vector<std::pair<std::string, JsonValue>> members = object.asObject();
  for (auto &[k, v] : members)
    if (k == key) {
      v = std::move(value);
      return JsonValue::object(std::move(members));
    }
  members.emplace_back(key, std::move(value));
  return JsonValue::object(std::move(members));
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 2 || std::string(argv[1]) == "-h" || std::string(argv[1]) == "--help") {
    std::fprintf(stderr, "usage: xgenmm-synth-weights <artifact-dir>\n"
                         "Writes weights.bin of stand-in values from manifest.json "
                         "(benchmarks only: the text generated means nothing).\n");
    return argc == 2 ? 0 : 2;
  }
  const std::string dir = argv[1];
  const std::string manifestPath = dir + "/" + abi::kManifestFile;
  const std::string weightsPath = dir + "/" + abi::kWeightsFile;
  std::string text;
  {
    std::ifstream in(manifestPath, std::ios::binary);
    if (!in)
      return fail(manifestPath + ": cannot read: " + std::strerror(errno));
    std::stringstream buffer;
    buffer << in.rdbuf();
    text = buffer.str();
  }
  std::string error;
  std::optional<JsonValue> manifest = parseJson(text, error);
  if (!manifest)
    return fail(manifestPath + ": " + error);
  const JsonValue *files = manifest->get("files");
  const JsonValue *entry = files ? files->get(abi::kWeightsFile) : nullptr;
  const JsonValue *total = entry ? entry->get("bytes") : nullptr;
  const JsonValue *weights = manifest->get("weights");
  const JsonValue *tensors = weights ? weights->get("tensors") : nullptr;
  if (!total || !total->isInteger() || !tensors || !tensors->isArray())
    return fail(manifestPath + ": no 'files.weights.bin.bytes' or 'weights.tensors'");
  const int64_t totalBytes = total->asInteger();

  // Check every tensor before writing anything.
  struct Tensor {
    std::string name;
    int64_t offset, bytes;
    bool bf16;
  };
  std::vector<Tensor> list;
  for (const JsonValue &t : tensors->asArray()) {
    const JsonValue *name = t.get("name"), *offset = t.get("offset"), *bytes = t.get("bytes"),
                    *scheme = t.get("scheme");
    if (!name || !name->isString() || !bytes || !bytes->isInteger() || !scheme ||
        !scheme->isString())
      return fail(manifestPath + ": a weights.tensors entry lacks name, bytes or scheme");
    if (!offset || !offset->isInteger())
      return fail(manifestPath + ": tensor '" + name->asString() +
                  "' has no offset (an artifact from before 2026-11-29: compile it again)");
    const std::string &s = scheme->asString();
    if (s != "f32" && s != "bf16")
      return fail(manifestPath + ": tensor '" + name->asString() + "' is stored as " + s +
                  ": synthetic weights are f32 or bf16 only");
    int64_t elt = s == "bf16" ? 2 : 4;
    if (offset->asInteger() < 0 || bytes->asInteger() % elt != 0 ||
        offset->asInteger() + bytes->asInteger() > totalBytes)
      return fail(manifestPath + ": tensor '" + name->asString() + "' (offset " +
                  std::to_string(offset->asInteger()) + ", " +
                  std::to_string(bytes->asInteger()) + " bytes) is not inside weights.bin (" +
                  std::to_string(totalBytes) + " bytes)");
    list.push_back({name->asString(), offset->asInteger(), bytes->asInteger(), s == "bf16"});
  }

  // Write to a temporary file, hash, then rename over weights.bin.
  const std::string tmpPath = weightsPath + ".tmp";
  int fd = ::open(tmpPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || ::ftruncate(fd, totalBytes) != 0) {
    if (fd >= 0)
      ::close(fd);
    return fail("cannot write " + tmpPath + ": " + std::strerror(errno));
  }
  std::vector<uint8_t> values;
  for (const Tensor &t : list) {
    values.resize(t.bytes);
    runtime::synthesizeWeight(t.name, t.bf16, t.bytes / (t.bf16 ? 2 : 4), values.data());
    for (int64_t done = 0; done < t.bytes;) {
      ssize_t n = ::pwrite(fd, values.data() + done, t.bytes - done, t.offset + done);
      if (n <= 0) {
        ::close(fd);
        ::unlink(tmpPath.c_str());
        return fail("cannot write " + tmpPath + ": " + std::strerror(errno));
      }
      done += n;
    }
  }
  runtime::Xxh64Stream hash;
  std::vector<char> chunk(16 << 20);
  int rfd = ::open(tmpPath.c_str(), O_RDONLY);
  for (ssize_t n; rfd >= 0 && (n = ::read(rfd, chunk.data(), chunk.size())) > 0;)
    hash.update(chunk.data(), n);
  if (rfd >= 0)
    ::close(rfd);
  ::close(fd);
  if (::rename(tmpPath.c_str(), weightsPath.c_str()) != 0)
    return fail("cannot rename " + tmpPath + " to " + weightsPath + ": " + std::strerror(errno));

  JsonValue newEntry = with(*entry, "xxh64", JsonValue::string(runtime::formatXxh64(hash.digest())));
  JsonValue updated = with(*manifest, "files", with(*files, abi::kWeightsFile, newEntry));
  updated = with(updated, "weights", with(*weights, "synthetic", JsonValue::boolean(true)));
  const std::string manifestTmp = manifestPath + ".tmp";
  {
    std::ofstream out(manifestTmp, std::ios::binary | std::ios::trunc);
    out << updated.serialize() << "\n";
    if (!out)
      return fail("cannot write " + manifestTmp);
  }
  if (::rename(manifestTmp.c_str(), manifestPath.c_str()) != 0)
    return fail("cannot rename " + manifestTmp + ": " + std::strerror(errno));
  std::printf("xgenmm-synth-weights: wrote %s (%lld bytes, %zu tensors, xxh64 %s)\n",
              weightsPath.c_str(), (long long)totalBytes, list.size(),
              runtime::formatXxh64(hash.digest()).c_str());
  return 0;
}
