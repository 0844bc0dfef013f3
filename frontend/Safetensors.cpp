//===- Safetensors.cpp - memory-mapped safetensors files ------------------===//
//
// The format: an 8-byte little-endian header length N, N bytes of JSON
// header, then the data section. The header maps each tensor name to its
// dtype, shape and [begin, end) offsets relative to the data section.
//
//===----------------------------------------------------------------------===//

#include "frontend/Safetensors.h"

#include "frontend/Json.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <numeric>
#include <set>
#include <sstream>
#include <tuple>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace xgenmm;

namespace {

struct DTypeEntry {
  DType dtype;
  const char *name;
  size_t size;
};

constexpr DTypeEntry kDTypes[] = {
    {DType::F64, "F64", 8},        {DType::F32, "F32", 4},
    {DType::F16, "F16", 2},        {DType::BF16, "BF16", 2},
    {DType::I64, "I64", 8},        {DType::I32, "I32", 4},
    {DType::I16, "I16", 2},        {DType::I8, "I8", 1},
    {DType::U8, "U8", 1},          {DType::Bool, "BOOL", 1},
    {DType::F8E4M3, "F8_E4M3", 1}, {DType::F8E5M2, "F8_E5M2", 1},
};

const DTypeEntry &entryOf(DType dtype) {
  for (const DTypeEntry &entry : kDTypes)
    if (entry.dtype == dtype)
      return entry;
  return kDTypes[0]; // unreachable: every DType has an entry
}

/// "[2, 3]"
template <typename T> std::string formatList(const std::vector<T> &values) {
  std::string s = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i)
      s += ", ";
    s += std::to_string(values[i]);
  }
  return s + "]";
}

/// "[16, 40)"
std::string formatRange(uint64_t begin, uint64_t end) {
  return "[" + std::to_string(begin) + ", " + std::to_string(end) + ")";
}

bool isFile(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

} // namespace

std::optional<DType> xgenmm::parseDType(std::string_view name) {
  for (const DTypeEntry &entry : kDTypes)
    if (name == entry.name)
      return entry.dtype;
  return std::nullopt;
}

const char *xgenmm::dtypeName(DType dtype) { return entryOf(dtype).name; }

size_t xgenmm::dtypeSize(DType dtype) { return entryOf(dtype).size; }

int64_t TensorInfo::numElements() const {
  int64_t n = 1;
  for (int64_t dim : shape)
    n *= dim;
  return n;
}

//===----------------------------------------------------------------------===//
// SafetensorsFile
//===----------------------------------------------------------------------===//

SafetensorsFile::~SafetensorsFile() {
  if (base_)
    ::munmap(const_cast<uint8_t *>(base_), size_);
}

const TensorInfo *SafetensorsFile::find(std::string_view name) const {
  auto it = byName_.find(name);
  return it == byName_.end() ? nullptr : &tensors_[it->second];
}

namespace {

/// Validates one tensor entry of the header and fills `info` (all but the
/// file offsets and the data pointer). `where` is "<path>: tensor 'name'".
bool parseTensorEntry(const JsonValue &entry, const std::string &where,
                      uint64_t dataSize, TensorInfo &info,
                      uint64_t &dataBegin, uint64_t &dataEnd,
                      std::string &error) {
  if (!entry.isObject()) {
    error = where + " is " + JsonValue::kindName(entry.kind()) +
            ", not an object";
    return false;
  }
  for (const auto &member : entry.asObject()) {
    if (member.first != "dtype" && member.first != "shape" &&
        member.first != "data_offsets") {
      error = where + ": unknown key '" + member.first + "'";
      return false;
    }
  }
  for (const char *key : {"dtype", "shape", "data_offsets"}) {
    if (!entry.get(key)) {
      error = where + ": missing '" + key + "'";
      return false;
    }
  }

  const JsonValue &dtype = *entry.get("dtype");
  if (!dtype.isString()) {
    error = where + ": dtype is " + JsonValue::kindName(dtype.kind()) +
            ", not a string";
    return false;
  }
  std::optional<DType> parsed = parseDType(dtype.asString());
  if (!parsed) {
    error = where + ": unknown dtype '" + dtype.asString() + "'";
    return false;
  }
  info.dtype = *parsed;

  const JsonValue &shape = *entry.get("shape");
  if (!shape.isArray()) {
    error = where + ": shape is " + JsonValue::kindName(shape.kind()) +
            ", not an array";
    return false;
  }
  for (size_t i = 0; i < shape.asArray().size(); ++i) {
    const JsonValue &dim = shape.asArray()[i];
    if (!dim.isInteger() || dim.asInteger() < 0) {
      error = where + ": shape[" + std::to_string(i) + "] is " +
              dim.serialize() + ", not a non-negative integer";
      return false;
    }
    info.shape.push_back(dim.asInteger());
  }

  const JsonValue &offsets = *entry.get("data_offsets");
  if (!offsets.isArray() || offsets.asArray().size() != 2 ||
      !offsets.asArray()[0].isInteger() || !offsets.asArray()[1].isInteger() ||
      offsets.asArray()[0].asInteger() < 0 ||
      offsets.asArray()[1].asInteger() < 0) {
    error = where + ": data_offsets is " + offsets.serialize() +
            ", not two non-negative integers [begin, end]";
    return false;
  }
  dataBegin = static_cast<uint64_t>(offsets.asArray()[0].asInteger());
  dataEnd = static_cast<uint64_t>(offsets.asArray()[1].asInteger());
  std::string offsetsText = formatList(std::vector<uint64_t>{dataBegin, dataEnd});
  if (dataBegin > dataEnd) {
    error = where + ": data_offsets " + offsetsText + " have begin > end";
    return false;
  }
  if (dataEnd > dataSize) {
    error = where + ": data_offsets " + offsetsText + " end past the " +
            std::to_string(dataSize) + " bytes of the data section";
    return false;
  }

  // The bytes the shape needs, without overflow. The element count must fit
  // in int64 (for numElements); a zero dimension makes it 0 whatever the
  // other dimensions are.
  std::string shapeText = formatList(info.shape);
  uint64_t elements = 1;
  if (std::find(info.shape.begin(), info.shape.end(), 0) != info.shape.end()) {
    elements = 0;
  } else {
    const uint64_t maxElements = std::numeric_limits<int64_t>::max();
    for (int64_t dim : info.shape) {
      if (elements > maxElements / static_cast<uint64_t>(dim)) {
        error = where + ": shape " + shapeText +
                " has more elements than fit in 64 bits";
        return false;
      }
      elements *= static_cast<uint64_t>(dim);
    }
  }
  size_t elementSize = dtypeSize(info.dtype);
  if (elements > std::numeric_limits<uint64_t>::max() / elementSize) {
    error = where + ": shape " + shapeText + " of " + dtypeName(info.dtype) +
            " needs more bytes than fit in 64 bits";
    return false;
  }
  uint64_t needed = elements * elementSize;
  if (dataEnd - dataBegin != needed) {
    error = where + ": data_offsets " + offsetsText + " hold " +
            std::to_string(dataEnd - dataBegin) + " bytes but shape " +
            shapeText + " of " + dtypeName(info.dtype) + " needs " +
            std::to_string(needed);
    return false;
  }
  return true;
}

} // namespace

std::unique_ptr<SafetensorsFile>
SafetensorsFile::open(const std::string &path, std::string &error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = path + ": cannot open: " + std::strerror(errno);
    return nullptr;
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    error = path + ": cannot stat: " + std::strerror(errno);
    ::close(fd);
    return nullptr;
  }
  if (!S_ISREG(st.st_mode)) {
    error = path + ": not a regular file";
    ::close(fd);
    return nullptr;
  }
  uint64_t size = static_cast<uint64_t>(st.st_size);
  // Checked before mmap, which rejects a length of 0.
  if (size < 8) {
    error = path + ": file is " + std::to_string(size) +
            " bytes long, shorter than the 8-byte header length";
    ::close(fd);
    return nullptr;
  }
  void *mapping = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  int mapErrno = errno;
  ::close(fd); // the mapping keeps the file alive
  if (mapping == MAP_FAILED) {
    error = path + ": cannot map: " + std::strerror(mapErrno);
    return nullptr;
  }

  // Owned from here on: every early return unmaps.
  std::unique_ptr<SafetensorsFile> file(new SafetensorsFile());
  file->path_ = path;
  file->base_ = static_cast<const uint8_t *>(mapping);
  file->size_ = size;

  uint64_t headerSize = 0;
  for (int i = 7; i >= 0; --i)
    headerSize = headerSize << 8 | file->base_[i];
  if (headerSize > kMaxHeaderBytes) {
    error = path + ": header length " + std::to_string(headerSize) +
            " exceeds the maximum of " + std::to_string(kMaxHeaderBytes) +
            " bytes";
    return nullptr;
  }
  if (headerSize > size - 8) {
    error = path + ": header length " + std::to_string(headerSize) +
            " exceeds the file size " + std::to_string(size) +
            " less the 8-byte length";
    return nullptr;
  }
  file->dataOffset_ = 8 + headerSize;
  uint64_t dataSize = size - file->dataOffset_;

  std::string jsonError;
  std::optional<JsonValue> header = parseJson(
      std::string_view(reinterpret_cast<const char *>(file->base_ + 8),
                       headerSize),
      jsonError);
  if (!header) {
    error = path + ": invalid JSON in header: " + jsonError;
    return nullptr;
  }
  if (!header->isObject()) {
    error = path + ": header is " + JsonValue::kindName(header->kind()) +
            ", not an object";
    return nullptr;
  }

  // Data-section offsets of each tensor, parallel to tensors_.
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (const auto &[name, entry] : header->asObject()) {
    if (name == "__metadata__") {
      if (!entry.isObject()) {
        error = path + ": __metadata__ is " + JsonValue::kindName(entry.kind()) +
                ", not an object";
        return nullptr;
      }
      for (const auto &[key, value] : entry.asObject()) {
        if (!value.isString()) {
          error = path + ": __metadata__ '" + key + "' is " +
                  JsonValue::kindName(value.kind()) + ", not a string";
          return nullptr;
        }
        file->metadata_[key] = value.asString();
      }
      continue;
    }
    TensorInfo info;
    info.name = name;
    uint64_t begin, end;
    if (!parseTensorEntry(entry, path + ": tensor '" + name + "'", dataSize,
                          info, begin, end, error))
      return nullptr;
    info.fileBegin = file->dataOffset_ + begin;
    info.fileEnd = file->dataOffset_ + end;
    info.data = file->base_ + info.fileBegin;
    // The JSON parser rejects duplicate keys, so names are unique.
    file->byName_.emplace(name, file->tensors_.size());
    file->tensors_.push_back(std::move(info));
    ranges.emplace_back(begin, end);
  }

  // Sorted by range (ties by header order, for deterministic messages), the
  // tensors must tile the data section exactly.
  std::vector<size_t> order(ranges.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return std::tie(ranges[a], a) < std::tie(ranges[b], b);
  });
  auto nameOf = [&](size_t i) { return "'" + file->tensors_[i].name + "'"; };
  const char *unused = " of the data section hold no tensor)";
  uint64_t covered = 0; // the data section up to here is tiled
  for (size_t k = 0; k < order.size(); ++k) {
    size_t i = order[k];
    auto [begin, end] = ranges[i];
    if (begin < covered) {
      size_t prev = order[k - 1]; // covered > 0 implies k > 0
      error = path + ": tensors " + nameOf(prev) + " and " + nameOf(i) +
              " overlap (bytes " +
              formatRange(ranges[prev].first, ranges[prev].second) + " and " +
              formatRange(begin, end) + " of the data section)";
      return nullptr;
    }
    if (begin > covered) {
      error = path + ": gap " +
              (k == 0 ? "before the first tensor " + nameOf(i)
                      : "between tensors " + nameOf(order[k - 1]) + " and " +
                            nameOf(i)) +
              " (bytes " + formatRange(covered, begin) + unused;
      return nullptr;
    }
    covered = end;
  }
  if (covered != dataSize) {
    error = path + ": trailing bytes " +
            (order.empty() ? std::string("after a header without tensors")
                           : "after the last tensor " + nameOf(order.back())) +
            " (bytes " + formatRange(covered, dataSize) + unused;
    return nullptr;
  }
  return file;
}

//===----------------------------------------------------------------------===//
// WeightSet
//===----------------------------------------------------------------------===//

namespace {

constexpr const char *kSingleFile = "model.safetensors";
constexpr const char *kIndexFile = "model.safetensors.index.json";

/// Reads a whole file; false (with `error`) if it cannot be read.
bool readFile(const std::string &path, std::string &contents,
              std::string &error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot open: " + std::strerror(errno);
    return false;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) {
    error = path + ": cannot read";
    return false;
  }
  contents = buffer.str();
  return true;
}

/// A shard name must name a file directly inside the checkpoint directory.
bool isPlainFileName(const std::string &name) {
  return !name.empty() && name != "." && name != ".." &&
         name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

} // namespace

std::unique_ptr<WeightSet> WeightSet::open(const std::string &directory,
                                           std::string &error) {
  auto set = std::make_unique<WeightSet>();
  std::string indexPath = directory + "/" + kIndexFile;
  if (!isFile(indexPath)) {
    std::string singlePath = directory + "/" + kSingleFile;
    if (!isFile(singlePath)) {
      error = directory + ": contains neither " + kIndexFile + " nor " +
              kSingleFile;
      return nullptr;
    }
    std::unique_ptr<SafetensorsFile> file =
        SafetensorsFile::open(singlePath, error);
    if (!file)
      return nullptr;
    for (const TensorInfo &tensor : file->tensors())
      set->byName_.emplace(tensor.name, std::make_pair(size_t(0), &tensor));
    set->files_.push_back(std::move(file));
    set->fileNames_.push_back(kSingleFile);
    return set;
  }

  // The structure of the index must be right to check anything else.
  std::string text;
  if (!readFile(indexPath, text, error))
    return nullptr;
  std::string jsonError;
  std::optional<JsonValue> index = parseJson(text, jsonError);
  if (!index) {
    error = indexPath + ": invalid JSON: " + jsonError;
    return nullptr;
  }
  if (!index->isObject()) {
    error = indexPath + ": the index is " + JsonValue::kindName(index->kind()) +
            ", not an object";
    return nullptr;
  }
  const JsonValue *weightMap = index->get("weight_map");
  if (!weightMap) {
    error = indexPath + ": missing weight_map";
    return nullptr;
  }
  if (!weightMap->isObject()) {
    error = indexPath + ": weight_map is " +
            JsonValue::kindName(weightMap->kind()) + ", not an object";
    return nullptr;
  }

  // From here on every inconsistency is collected, one per line.
  std::vector<std::string> problems;
  auto problem = [&](const std::string &what) {
    problems.push_back(indexPath + ": " + what);
  };

  // Tensor name -> shard name, for the well-formed entries.
  std::map<std::string, std::string, std::less<>> shardOf;
  std::set<std::string> shardNames; // sorted: the order of files_
  std::set<std::string> badShardNames;
  for (const auto &[tensor, shard] : weightMap->asObject()) {
    if (!shard.isString()) {
      problem("weight_map entry '" + tensor + "' is " +
              JsonValue::kindName(shard.kind()) + ", not a string");
      continue;
    }
    const std::string &name = shard.asString();
    if (!isPlainFileName(name)) {
      if (badShardNames.insert(name).second)
        problem("shard name '" + name +
                "' is not a file name inside the directory");
      continue;
    }
    shardOf.emplace(tensor, name);
    shardNames.insert(name);
  }

  std::optional<uint64_t> totalSize;
  if (const JsonValue *metadata = index->get("metadata")) {
    const JsonValue *total = metadata->get("total_size");
    if (!metadata->isObject())
      problem(std::string("metadata is ") +
              JsonValue::kindName(metadata->kind()) + ", not an object");
    else if (total && (!total->isInteger() || total->asInteger() < 0))
      problem("metadata.total_size is " + total->serialize() +
              ", not a non-negative integer");
    else if (total)
      totalSize = static_cast<uint64_t>(total->asInteger());
  }

  bool allOpened = true;
  uint64_t sum = 0;
  for (const std::string &shardName : shardNames) {
    std::string shardPath = directory + "/" + shardName;
    if (!isFile(shardPath)) {
      problem("shard '" + shardName + "' does not exist");
      allOpened = false;
      continue;
    }
    std::string shardError;
    std::unique_ptr<SafetensorsFile> file =
        SafetensorsFile::open(shardPath, shardError);
    if (!file) {
      problems.push_back(shardError);
      allOpened = false;
      continue;
    }
    size_t fileIndex = set->files_.size();
    for (const auto &[tensor, shard] : shardOf)
      if (shard == shardName && !file->find(tensor))
        problem("tensor '" + tensor + "' is mapped to '" + shardName +
                "', which does not contain it");
    for (const TensorInfo &tensor : file->tensors()) {
      sum += tensor.byteSize();
      auto it = shardOf.find(tensor.name);
      if (it == shardOf.end())
        problem("tensor '" + tensor.name + "' in '" + shardName +
                "' is not in the weight_map");
      else if (it->second != shardName)
        problem("tensor '" + tensor.name + "' is in '" + shardName +
                "' but mapped to '" + it->second + "'");
      else
        set->byName_.emplace(tensor.name, std::make_pair(fileIndex, &tensor));
    }
    set->files_.push_back(std::move(file));
    set->fileNames_.push_back(shardName);
  }
  // With a shard missing the sum says nothing: that problem is reported.
  if (totalSize && allOpened && *totalSize != sum)
    problem("metadata.total_size is " + std::to_string(*totalSize) +
            " but the tensors of the shards hold " + std::to_string(sum) +
            " bytes");

  if (!problems.empty()) {
    error.clear();
    for (const std::string &line : problems)
      error += (error.empty() ? "" : "\n") + line;
    return nullptr;
  }
  return set;
}

std::vector<const TensorInfo *> WeightSet::tensors() const {
  std::vector<const TensorInfo *> result;
  result.reserve(byName_.size());
  for (const auto &entry : byName_)
    result.push_back(entry.second.second);
  return result;
}

const TensorInfo *WeightSet::find(std::string_view name) const {
  auto it = byName_.find(name);
  return it == byName_.end() ? nullptr : it->second.second;
}

const std::string &WeightSet::fileOf(const TensorInfo *tensor) const {
  static const std::string none;
  if (!tensor)
    return none;
  auto it = byName_.find(tensor->name);
  if (it == byName_.end() || it->second.second != tensor)
    return none; // not a tensor of this set
  return fileNames_[it->second.first];
}
