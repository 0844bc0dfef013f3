//===- SafetensorsTest.cpp - memory-mapped safetensors files ---------------===//
//
// Most tests write small safetensors files into a fresh temporary directory;
// the last ones read the committed checkpoints under test/fixtures.
//
//===----------------------------------------------------------------------===//

#include "frontend/Json.h"
#include "frontend/Safetensors.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

using namespace xgenmm;

namespace {

/// The bytes of a safetensors file: the little-endian `headerLength` (by
/// default the size of `header`), the header and the data section.
std::string safetensorsBytes(const std::string &header, const std::string &data,
                             std::optional<uint64_t> headerLength = std::nullopt) {
  uint64_t n = headerLength.value_or(header.size());
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i)
    bytes[i] = static_cast<char>((n >> (8 * i)) & 0xFF);
  return bytes + header + data;
}

/// `count` float32 values 0, 1, 2, ... as raw bytes.
std::string floatBytes(int count, float first = 0) {
  std::string bytes(count * sizeof(float), '\0');
  for (int i = 0; i < count; ++i) {
    float value = first + static_cast<float>(i);
    std::memcpy(&bytes[i * sizeof(float)], &value, sizeof(float));
  }
  return bytes;
}

std::string readWholeFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

/// A temporary directory per test, removed with everything in it.
class SafetensorsTest : public ::testing::Test {
protected:
  void SetUp() override {
    char pattern[] = "/tmp/xgenmm-safetensors-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr) << std::strerror(errno);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  /// Writes `bytes` to `name` in the temporary directory; returns the path.
  std::string write(const std::string &name, const std::string &bytes) {
    std::string path = dir_ + "/" + name;
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    EXPECT_TRUE(out.good()) << path;
    return path;
  }

  /// Writes a safetensors file named "t.safetensors", opens it and returns
  /// the error, which must occur.
  std::string openError(const std::string &bytes) {
    std::string path = write("t.safetensors", bytes);
    std::string error;
    EXPECT_EQ(SafetensorsFile::open(path, error), nullptr);
    return error;
  }
  /// The same, with the path prefix removed from the message.
  std::string headerError(const std::string &header, const std::string &data) {
    std::string error = openError(safetensorsBytes(header, data));
    std::string prefix = dir_ + "/t.safetensors: ";
    EXPECT_EQ(error.compare(0, prefix.size(), prefix), 0) << error;
    return error.substr(std::min(prefix.size(), error.size()));
  }

  std::string dir_;
};

} // namespace

//===----------------------------------------------------------------------===//
// DType helpers
//===----------------------------------------------------------------------===//

TEST(SafetensorsDTypeTest, NamesAndSizes) {
  struct Case {
    const char *name;
    DType dtype;
    size_t size;
  } cases[] = {{"F64", DType::F64, 8},        {"F32", DType::F32, 4},
               {"F16", DType::F16, 2},        {"BF16", DType::BF16, 2},
               {"I64", DType::I64, 8},        {"I32", DType::I32, 4},
               {"I16", DType::I16, 2},        {"I8", DType::I8, 1},
               {"U8", DType::U8, 1},          {"BOOL", DType::Bool, 1},
               {"F8_E4M3", DType::F8E4M3, 1}, {"F8_E5M2", DType::F8E5M2, 1}};
  for (const Case &c : cases) {
    EXPECT_EQ(parseDType(c.name), c.dtype) << c.name;
    EXPECT_STREQ(dtypeName(c.dtype), c.name);
    EXPECT_EQ(dtypeSize(c.dtype), c.size) << c.name;
  }
  EXPECT_EQ(parseDType("F33"), std::nullopt);
  EXPECT_EQ(parseDType("f32"), std::nullopt); // spellings are exact
  EXPECT_EQ(parseDType("Bool"), std::nullopt);
  EXPECT_EQ(parseDType(""), std::nullopt);
}

TEST(SafetensorsDTypeTest, NumElements) {
  TensorInfo info;
  info.shape = {};
  EXPECT_EQ(info.numElements(), 1); // a scalar
  info.shape = {2, 3, 4};
  EXPECT_EQ(info.numElements(), 24);
  info.shape = {5, 0};
  EXPECT_EQ(info.numElements(), 0);
}

//===----------------------------------------------------------------------===//
// Valid files
//===----------------------------------------------------------------------===//

TEST_F(SafetensorsTest, ValidFile) {
  std::string header =
      R"({"__metadata__":{"format":"pt","note":"x"},)"
      R"("b.bias":{"dtype":"I64","shape":[2],"data_offsets":[24,40]},)"
      R"("a.weight":{"shape":[2,3],"data_offsets":[0,24],"dtype":"F32"}})";
  // The reference writer pads the header with spaces.
  header += std::string(7, ' ');
  std::string data = floatBytes(6, 1.5f);
  int64_t ints[2] = {-3, INT64_C(17437028876)};
  data.append(reinterpret_cast<const char *>(ints), sizeof ints);
  std::string path = write("v.safetensors", safetensorsBytes(header, data));

  std::string error;
  std::unique_ptr<SafetensorsFile> file = SafetensorsFile::open(path, error);
  ASSERT_NE(file, nullptr) << error;
  EXPECT_EQ(file->path(), path);
  EXPECT_EQ(file->fileSize(), 8 + header.size() + 40);
  EXPECT_EQ(file->dataOffset(), 8 + header.size());
  ASSERT_EQ(file->tensors().size(), 2u);
  // Header order, not offset order.
  EXPECT_EQ(file->tensors()[0].name, "b.bias");
  EXPECT_EQ(file->tensors()[1].name, "a.weight");
  EXPECT_EQ(file->metadata(),
            (std::map<std::string, std::string>{{"format", "pt"}, {"note", "x"}}));

  const TensorInfo *a = file->find("a.weight");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a, &file->tensors()[1]);
  EXPECT_EQ(a->dtype, DType::F32);
  EXPECT_EQ(a->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(a->numElements(), 6);
  EXPECT_EQ(a->fileBegin, file->dataOffset());
  EXPECT_EQ(a->fileEnd, file->dataOffset() + 24);
  EXPECT_EQ(a->byteSize(), 24u);
  float floats[6];
  std::memcpy(floats, a->data, sizeof floats);
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(floats[i], 1.5f + i);

  const TensorInfo *b = file->find("b.bias");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->dtype, DType::I64);
  EXPECT_EQ(b->data, a->data + 24);
  int64_t read[2];
  std::memcpy(read, b->data, sizeof read);
  EXPECT_EQ(read[0], -3);
  EXPECT_EQ(read[1], INT64_C(17437028876));

  EXPECT_EQ(file->find("c"), nullptr);
  EXPECT_EQ(file->find("__metadata__"), nullptr);
}

TEST_F(SafetensorsTest, EmptyAndScalarTensors) {
  // Zero-size tensors may sit anywhere on a boundary, a zero dimension makes
  // even huge other dimensions hold no bytes, and a shape [] is a scalar.
  std::string header =
      R"({"e0":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},)"
      R"("s":{"dtype":"F16","shape":[],"data_offsets":[0,2]},)"
      R"("e1":{"dtype":"F64","shape":[9223372036854775807,0],"data_offsets":[2,2]},)"
      R"("u":{"dtype":"U8","shape":[1,1,2],"data_offsets":[2,4]}})";
  std::string path = write("e.safetensors", safetensorsBytes(header, "abcd"));
  std::string error;
  std::unique_ptr<SafetensorsFile> file = SafetensorsFile::open(path, error);
  ASSERT_NE(file, nullptr) << error;
  EXPECT_EQ(file->find("e1")->numElements(), 0);
  EXPECT_EQ(file->find("e1")->byteSize(), 0u);
  EXPECT_EQ(file->find("s")->numElements(), 1);
  EXPECT_EQ(std::string(reinterpret_cast<const char *>(file->find("u")->data), 2),
            "cd");
}

TEST_F(SafetensorsTest, NoTensors) {
  std::string path = write("n.safetensors", safetensorsBytes("{}", ""));
  std::string error;
  std::unique_ptr<SafetensorsFile> file = SafetensorsFile::open(path, error);
  ASSERT_NE(file, nullptr) << error;
  EXPECT_TRUE(file->tensors().empty());
  EXPECT_TRUE(file->metadata().empty());
}

//===----------------------------------------------------------------------===//
// Corrupt files, each with its message
//===----------------------------------------------------------------------===//

TEST_F(SafetensorsTest, UnreadableFiles) {
  std::string error;
  std::string missing = dir_ + "/missing.safetensors";
  EXPECT_EQ(SafetensorsFile::open(missing, error), nullptr);
  EXPECT_EQ(error, missing + ": cannot open: No such file or directory");
  EXPECT_EQ(SafetensorsFile::open(dir_, error), nullptr);
  EXPECT_EQ(error, dir_ + ": not a regular file");
}

TEST_F(SafetensorsTest, TooShort) {
  std::string path = dir_ + "/t.safetensors";
  EXPECT_EQ(openError(""),
            path + ": file is 0 bytes long, shorter than the 8-byte header length");
  EXPECT_EQ(openError("abc"),
            path + ": file is 3 bytes long, shorter than the 8-byte header length");
  EXPECT_EQ(openError(std::string(7, '\0')),
            path + ": file is 7 bytes long, shorter than the 8-byte header length");
}

TEST_F(SafetensorsTest, HeaderLengthPastTheEnd) {
  std::string path = dir_ + "/t.safetensors";
  EXPECT_EQ(openError(safetensorsBytes("{}", "", 3)),
            path + ": header length 3 exceeds the file size 10 less the 8-byte length");
  EXPECT_EQ(openError(safetensorsBytes("", "", 1234567)),
            path + ": header length 1234567 exceeds the file size 8 less the 8-byte length");
}

TEST_F(SafetensorsTest, HeaderLengthAboveTheMaximum) {
  std::string path = dir_ + "/t.safetensors";
  EXPECT_EQ(openError(safetensorsBytes("{}", "", SafetensorsFile::kMaxHeaderBytes + 1)),
            path + ": header length 104857601 exceeds the maximum of 104857600 bytes");
  // No overflow in the bounds check with the largest length.
  EXPECT_EQ(openError(safetensorsBytes("{}", "", UINT64_MAX)),
            path + ": header length 18446744073709551615 exceeds the maximum of "
                   "104857600 bytes");
}

TEST_F(SafetensorsTest, InvalidJson) {
  EXPECT_EQ(headerError(R"({"a": })", ""),
            "invalid JSON in header: at byte 6: expected a value");
  EXPECT_EQ(headerError("", ""), "invalid JSON in header: at byte 0: expected a value");
  EXPECT_EQ(headerError(R"({"a":{"dtype":"F32","shape":[],"data_offsets":[0,4],}})",
                        floatBytes(1)),
            "invalid JSON in header: at byte 52: expected a string key in object");
}

TEST_F(SafetensorsTest, HeaderNotAnObject) {
  EXPECT_EQ(headerError("[]", ""), "header is an array, not an object");
  EXPECT_EQ(headerError("\"x\"", ""), "header is a string, not an object");
}

TEST_F(SafetensorsTest, DuplicateTensorName) {
  EXPECT_EQ(headerError(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                        R"("a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                        floatBytes(2)),
            "invalid JSON in header: at byte 54: duplicate key \"a\" in object");
}

TEST_F(SafetensorsTest, BadEntry) {
  EXPECT_EQ(headerError(R"({"a":[1]})", ""), "tensor 'a' is an array, not an object");
  EXPECT_EQ(headerError(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}})",
                        floatBytes(1)),
            "tensor 'a': unknown key 'x'");
  EXPECT_EQ(headerError(R"({"a":{"dtype":"F32","data_offsets":[0,4]}})", floatBytes(1)),
            "tensor 'a': missing 'shape'");
  EXPECT_EQ(headerError(R"({"a":{"shape":[1],"data_offsets":[0,4]}})", floatBytes(1)),
            "tensor 'a': missing 'dtype'");
  EXPECT_EQ(headerError(R"({"a":{"dtype":"F32","shape":[1]}})", floatBytes(1)),
            "tensor 'a': missing 'data_offsets'");
}

TEST_F(SafetensorsTest, BadDType) {
  EXPECT_EQ(headerError(R"({"x":{"dtype":"F33","shape":[1],"data_offsets":[0,4]}})",
                        floatBytes(1)),
            "tensor 'x': unknown dtype 'F33'");
  EXPECT_EQ(headerError(R"({"x":{"dtype":4,"shape":[1],"data_offsets":[0,4]}})",
                        floatBytes(1)),
            "tensor 'x': dtype is a number, not a string");
}

TEST_F(SafetensorsTest, BadShape) {
  auto entry = [](const std::string &shape) {
    return R"({"w":{"dtype":"F32","shape":)" + shape + R"(,"data_offsets":[0,4]}})";
  };
  EXPECT_EQ(headerError(entry("[1,-2]"), floatBytes(1)),
            "tensor 'w': shape[1] is -2, not a non-negative integer");
  EXPECT_EQ(headerError(entry("[2.5]"), floatBytes(1)),
            "tensor 'w': shape[0] is 2.5, not a non-negative integer");
  EXPECT_EQ(headerError(entry("[1.0]"), floatBytes(1)),
            "tensor 'w': shape[0] is 1.0, not a non-negative integer");
  EXPECT_EQ(headerError(entry("[\"4\"]"), floatBytes(1)),
            "tensor 'w': shape[0] is \"4\", not a non-negative integer");
  EXPECT_EQ(headerError(entry("[9223372036854775808]"), floatBytes(1)),
            "tensor 'w': shape[0] is 9.2233720368547758e+18, not a non-negative integer");
  EXPECT_EQ(headerError(entry("4"), floatBytes(1)),
            "tensor 'w': shape is a number, not an array");
}

TEST_F(SafetensorsTest, ShapeOverflow) {
  auto entry = [](const std::string &dtype, const std::string &shape) {
    return R"({"w":{"dtype":")" + dtype + R"(","shape":)" + shape +
           R"(,"data_offsets":[0,4]}})";
  };
  EXPECT_EQ(headerError(entry("U8", "[4294967296,4294967296]"), floatBytes(1)),
            "tensor 'w': shape [4294967296, 4294967296] has more elements than "
            "fit in 64 bits");
  EXPECT_EQ(headerError(entry("U8", "[3037000500,3037000500]"), floatBytes(1)),
            "tensor 'w': shape [3037000500, 3037000500] has more elements than "
            "fit in 64 bits");
  EXPECT_EQ(headerError(entry("F64", "[2305843009213693952]"), floatBytes(1)),
            "tensor 'w': shape [2305843009213693952] of F64 needs more bytes "
            "than fit in 64 bits");
}

TEST_F(SafetensorsTest, BadDataOffsets) {
  auto entry = [](const std::string &offsets) {
    return R"({"w":{"dtype":"F32","shape":[1],"data_offsets":)" + offsets + "}}";
  };
  const char *suffix = ", not two non-negative integers [begin, end]";
  EXPECT_EQ(headerError(entry("[0]"), floatBytes(1)),
            std::string("tensor 'w': data_offsets is [0]") + suffix);
  EXPECT_EQ(headerError(entry("[0,4,8]"), floatBytes(1)),
            std::string("tensor 'w': data_offsets is [0,4,8]") + suffix);
  EXPECT_EQ(headerError(entry("[0,\"4\"]"), floatBytes(1)),
            std::string("tensor 'w': data_offsets is [0,\"4\"]") + suffix);
  EXPECT_EQ(headerError(entry("[0,4.0]"), floatBytes(1)),
            std::string("tensor 'w': data_offsets is [0,4.0]") + suffix);
  EXPECT_EQ(headerError(entry("[-4,0]"), floatBytes(1)),
            std::string("tensor 'w': data_offsets is [-4,0]") + suffix);
  EXPECT_EQ(headerError(entry("{}"), floatBytes(1)),
            std::string("tensor 'w': data_offsets is {}") + suffix);
}

TEST_F(SafetensorsTest, BeginAfterEnd) {
  EXPECT_EQ(headerError(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}})",
                        floatBytes(2)),
            "tensor 'w': data_offsets [8, 4] have begin > end");
}

TEST_F(SafetensorsTest, EndPastTheData) {
  EXPECT_EQ(headerError(R"({"w":{"dtype":"F32","shape":[10],"data_offsets":[0,40]}})",
                        floatBytes(6)),
            "tensor 'w': data_offsets [0, 40] end past the 24 bytes of the data section");
}

TEST_F(SafetensorsTest, SizeMismatch) {
  EXPECT_EQ(headerError(R"({"a.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[0,12]}})",
                        floatBytes(3)),
            "tensor 'a.weight': data_offsets [0, 12] hold 12 bytes but shape "
            "[2, 3] of F32 needs 24");
  EXPECT_EQ(headerError(R"({"b":{"dtype":"BF16","shape":[],"data_offsets":[0,4]}})",
                        floatBytes(1)),
            "tensor 'b': data_offsets [0, 4] hold 4 bytes but shape [] of BF16 needs 2");
}

TEST_F(SafetensorsTest, Overlap) {
  EXPECT_EQ(headerError(R"({"b":{"dtype":"F32","shape":[6],"data_offsets":[16,40]},)"
                        R"("a":{"dtype":"F32","shape":[6],"data_offsets":[0,24]}})",
                        floatBytes(10)),
            "tensors 'a' and 'b' overlap (bytes [0, 24) and [16, 40) of the data "
            "section)");
  // The same range twice.
  EXPECT_EQ(headerError(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                        R"("b":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}})",
                        floatBytes(1)),
            "tensors 'a' and 'b' overlap (bytes [0, 4) and [0, 4) of the data "
            "section)");
}

TEST_F(SafetensorsTest, Gap) {
  EXPECT_EQ(headerError(R"({"a":{"dtype":"F32","shape":[6],"data_offsets":[0,24]},)"
                        R"("b":{"dtype":"F32","shape":[2],"data_offsets":[32,40]}})",
                        floatBytes(10)),
            "gap between tensors 'a' and 'b' (bytes [24, 32) of the data section "
            "hold no tensor)");
  EXPECT_EQ(headerError(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                        floatBytes(2)),
            "gap before the first tensor 'a' (bytes [0, 4) of the data section "
            "hold no tensor)");
}

TEST_F(SafetensorsTest, TrailingBytes) {
  EXPECT_EQ(headerError(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
                        floatBytes(1) + "xyz"),
            "trailing bytes after the last tensor 'a' (bytes [4, 7) of the data "
            "section hold no tensor)");
  EXPECT_EQ(headerError(R"({"__metadata__":{}})", "xy"),
            "trailing bytes after a header without tensors (bytes [0, 2) of the "
            "data section hold no tensor)");
}

TEST_F(SafetensorsTest, BadMetadata) {
  EXPECT_EQ(headerError(R"({"__metadata__":{"format":"pt","step":100}})", ""),
            "__metadata__ 'step' is a number, not a string");
  EXPECT_EQ(headerError(R"({"__metadata__":{"nested":{}}})", ""),
            "__metadata__ 'nested' is an object, not a string");
  EXPECT_EQ(headerError(R"({"__metadata__":["pt"]})", ""),
            "__metadata__ is an array, not an object");
}

//===----------------------------------------------------------------------===//
// WeightSet
//===----------------------------------------------------------------------===//

namespace {

/// A header entry: "name":{"dtype":"F32","shape":[n],"data_offsets":[b,e]}.
std::string f32Entry(const std::string &name, int begin, int count) {
  return "\"" + name + R"(":{"dtype":"F32","shape":[)" + std::to_string(count) +
         R"(],"data_offsets":[)" + std::to_string(begin * 4) + "," +
         std::to_string((begin + count) * 4) + "]}";
}

} // namespace

TEST_F(SafetensorsTest, WeightSetSingleFile) {
  write("model.safetensors",
        safetensorsBytes("{" + f32Entry("z", 0, 2) + "," + f32Entry("a", 2, 1) + "}",
                         floatBytes(3)));
  std::string error;
  std::unique_ptr<WeightSet> set = WeightSet::open(dir_, error);
  ASSERT_NE(set, nullptr) << error;
  ASSERT_EQ(set->files().size(), 1u);
  EXPECT_EQ(set->files()[0]->path(), dir_ + "/model.safetensors");
  std::vector<const TensorInfo *> tensors = set->tensors();
  ASSERT_EQ(tensors.size(), 2u);
  EXPECT_EQ(tensors[0]->name, "a"); // sorted by name
  EXPECT_EQ(tensors[1]->name, "z");
  EXPECT_EQ(set->find("a"), set->files()[0]->find("a"));
  EXPECT_EQ(set->fileOf(set->find("z")), "model.safetensors");
  EXPECT_EQ(set->find("b"), nullptr);

  // A tensor of another file has no file in this set.
  std::string otherPath = write("other.safetensors",
                                safetensorsBytes("{" + f32Entry("a", 0, 1) + "}",
                                                 floatBytes(1)));
  std::unique_ptr<SafetensorsFile> other = SafetensorsFile::open(otherPath, error);
  ASSERT_NE(other, nullptr) << error;
  EXPECT_EQ(set->fileOf(other->find("a")), "");
}

TEST_F(SafetensorsTest, WeightSetSingleFileCorrupt) {
  write("model.safetensors", "short");
  std::string error;
  EXPECT_EQ(WeightSet::open(dir_, error), nullptr);
  EXPECT_EQ(error, dir_ + "/model.safetensors: file is 5 bytes long, shorter "
                          "than the 8-byte header length");
}

TEST_F(SafetensorsTest, WeightSetNoWeights) {
  std::string error;
  EXPECT_EQ(WeightSet::open(dir_, error), nullptr);
  EXPECT_EQ(error, dir_ + ": contains neither model.safetensors.index.json nor "
                          "model.safetensors");
  EXPECT_EQ(WeightSet::open(dir_ + "/nonexistent", error), nullptr);
  EXPECT_EQ(error, dir_ + "/nonexistent: contains neither "
                          "model.safetensors.index.json nor model.safetensors");
}

TEST_F(SafetensorsTest, WeightSetSharded) {
  write("model-00002-of-00002.safetensors",
        safetensorsBytes("{" + f32Entry("head", 0, 3) + "}", floatBytes(3, 10)));
  write("model-00001-of-00002.safetensors",
        safetensorsBytes(R"({"__metadata__":{"format":"pt"},)" + f32Entry("emb", 0, 4) +
                             "," + f32Entry("layer.0", 4, 2) + "}",
                         floatBytes(6)));
  // The index wins over a model.safetensors (here a corrupt one).
  write("model.safetensors", "corrupt");
  write("model.safetensors.index.json", R"({
    "metadata": {"total_size": 36, "format": "pt"},
    "weight_map": {
      "layer.0": "model-00001-of-00002.safetensors",
      "head": "model-00002-of-00002.safetensors",
      "emb": "model-00001-of-00002.safetensors"
    }
  })");
  std::string error;
  std::unique_ptr<WeightSet> set = WeightSet::open(dir_, error);
  ASSERT_NE(set, nullptr) << error;
  // Each shard once, in the order of the names.
  ASSERT_EQ(set->files().size(), 2u);
  EXPECT_EQ(set->files()[0]->path(), dir_ + "/model-00001-of-00002.safetensors");
  EXPECT_EQ(set->files()[1]->path(), dir_ + "/model-00002-of-00002.safetensors");

  std::vector<std::string> names;
  for (const TensorInfo *tensor : set->tensors())
    names.push_back(tensor->name);
  EXPECT_EQ(names, (std::vector<std::string>{"emb", "head", "layer.0"}));

  const TensorInfo *head = set->find("head");
  ASSERT_NE(head, nullptr);
  EXPECT_EQ(head, set->files()[1]->find("head"));
  EXPECT_EQ(set->fileOf(head), "model-00002-of-00002.safetensors");
  EXPECT_EQ(set->fileOf(set->find("layer.0")), "model-00001-of-00002.safetensors");
  float value;
  std::memcpy(&value, head->data + 8, sizeof value);
  EXPECT_EQ(value, 12.0f);
}

TEST_F(SafetensorsTest, WeightSetShardedWithoutTotalSize) {
  write("s.safetensors", safetensorsBytes("{" + f32Entry("a", 0, 1) + "}", floatBytes(1)));
  write("model.safetensors.index.json", R"({"weight_map": {"a": "s.safetensors"}})");
  std::string error;
  std::unique_ptr<WeightSet> set = WeightSet::open(dir_, error);
  ASSERT_NE(set, nullptr) << error;
  EXPECT_EQ(set->fileOf(set->find("a")), "s.safetensors");
}

TEST_F(SafetensorsTest, WeightSetReportsEveryInconsistency) {
  // s1 holds a and b; the index maps a there, b nowhere, c to s1 (which lacks
  // it), d to s2 (which holds it as well as e, mapped to s1).
  write("s1.safetensors",
        safetensorsBytes("{" + f32Entry("a", 0, 1) + "," + f32Entry("b", 1, 1) + "}",
                         floatBytes(2)));
  write("s2.safetensors",
        safetensorsBytes("{" + f32Entry("d", 0, 1) + "," + f32Entry("e", 1, 1) + "}",
                         floatBytes(2)));
  write("bad.safetensors", safetensorsBytes("[]", ""));
  write("model.safetensors.index.json", R"({
    "weight_map": {
      "a": "s1.safetensors",
      "c": "s1.safetensors",
      "d": "s2.safetensors",
      "e": "s1.safetensors",
      "f": "missing.safetensors",
      "g": "../s1.safetensors",
      "h": "..",
      "i": "sub/s2.safetensors",
      "j": 3,
      "k": "bad.safetensors",
      "l": "../s1.safetensors"
    }
  })");
  std::string error;
  EXPECT_EQ(WeightSet::open(dir_, error), nullptr);
  std::string index = dir_ + "/model.safetensors.index.json: ";
  EXPECT_EQ(error,
            index + "shard name '../s1.safetensors' is not a file name inside the directory\n" +
            index + "shard name '..' is not a file name inside the directory\n" +
            index + "shard name 'sub/s2.safetensors' is not a file name inside the directory\n" +
            index + "weight_map entry 'j' is a number, not a string\n" +
            dir_ + "/bad.safetensors: header is an array, not an object\n" +
            index + "shard 'missing.safetensors' does not exist\n" +
            index + "tensor 'c' is mapped to 's1.safetensors', which does not contain it\n" +
            index + "tensor 'e' is mapped to 's1.safetensors', which does not contain it\n" +
            index + "tensor 'b' in 's1.safetensors' is not in the weight_map\n" +
            index + "tensor 'e' is in 's2.safetensors' but mapped to 's1.safetensors'");
}

TEST_F(SafetensorsTest, WeightSetWrongTotalSize) {
  write("s1.safetensors", safetensorsBytes("{" + f32Entry("a", 0, 2) + "}", floatBytes(2)));
  write("s2.safetensors",
        safetensorsBytes("{" + f32Entry("b", 0, 1) + "," + f32Entry("x", 1, 1) + "}",
                         floatBytes(2)));
  write("model.safetensors.index.json", R"({
    "metadata": {"total_size": 12},
    "weight_map": {"a": "s1.safetensors", "b": "s2.safetensors"}
  })");
  std::string error;
  EXPECT_EQ(WeightSet::open(dir_, error), nullptr);
  std::string index = dir_ + "/model.safetensors.index.json: ";
  // The extra tensor x is counted: the sum is what the shards hold.
  EXPECT_EQ(error, index + "tensor 'x' in 's2.safetensors' is not in the weight_map\n" +
                       index + "metadata.total_size is 12 but the tensors of the "
                               "shards hold 16 bytes");
}

TEST_F(SafetensorsTest, WeightSetBadIndex) {
  std::string index = dir_ + "/model.safetensors.index.json";
  auto indexError = [&](const std::string &text) {
    write("model.safetensors.index.json", text);
    std::string error;
    EXPECT_EQ(WeightSet::open(dir_, error), nullptr);
    return error;
  };
  EXPECT_EQ(indexError(R"({"weight_map": {"a": "s"},})"),
            index + ": invalid JSON: at byte 26: expected a string key in object");
  EXPECT_EQ(indexError(R"(["weight_map"])"),
            index + ": the index is an array, not an object");
  EXPECT_EQ(indexError(R"({"metadata": {}})"), index + ": missing weight_map");
  EXPECT_EQ(indexError(R"({"weight_map": ["a"]})"),
            index + ": weight_map is an array, not an object");
  EXPECT_EQ(indexError(R"({"metadata": 1, "weight_map": {}})"),
            index + ": metadata is a number, not an object");
  EXPECT_EQ(indexError(R"({"metadata": {"total_size": "36"}, "weight_map": {}})"),
            index + ": metadata.total_size is \"36\", not a non-negative integer");
  EXPECT_EQ(indexError(R"({"metadata": {"total_size": 1}, "weight_map": {}})"),
            index + ": metadata.total_size is 1 but the tensors of the shards "
                    "hold 0 bytes");
}

//===----------------------------------------------------------------------===//
// The committed fixtures
//===----------------------------------------------------------------------===//

namespace {

struct Fixture {
  const char *name;
  DType dtype;
  size_t shards;
};

class FixtureTest : public ::testing::TestWithParam<Fixture> {};

} // namespace

TEST_P(FixtureTest, OpensAndMapsTheWeights) {
  const Fixture &fixture = GetParam();
  std::string dir = std::string(XGENMM_FIXTURES_DIR) + "/" + fixture.name;

  std::string error;
  std::optional<JsonValue> config =
      parseJson(readWholeFile(dir + "/config.json"), error);
  ASSERT_TRUE(config) << error;
  const JsonValue *textConfig = config->get("text_config");
  ASSERT_NE(textConfig, nullptr);
  const JsonValue *vocab = textConfig->get("vocab_size");
  ASSERT_TRUE(vocab && vocab->isInteger());

  std::unique_ptr<WeightSet> set = WeightSet::open(dir, error);
  ASSERT_NE(set, nullptr) << error;
  EXPECT_EQ(set->files().size(), fixture.shards);

  const TensorInfo *bias = set->find("vlm.lang_model.lm_head.bias");
  ASSERT_NE(bias, nullptr);
  EXPECT_EQ(bias->dtype, fixture.dtype);
  EXPECT_EQ(bias->shape, std::vector<int64_t>{vocab->asInteger()});
  EXPECT_EQ(bias->byteSize(), vocab->asInteger() * dtypeSize(fixture.dtype));

  // Every tensor's data points into the mapping of its file: the bytes there
  // are those of the file at fileBegin.
  std::map<std::string, std::string> contents; // file name -> bytes
  for (const TensorInfo *tensor : set->tensors()) {
    const std::string &file = set->fileOf(tensor);
    ASSERT_FALSE(file.empty()) << tensor->name;
    if (!contents.count(file))
      contents[file] = readWholeFile(dir + "/" + file);
    const std::string &bytes = contents[file];
    ASSERT_LE(tensor->fileEnd, bytes.size());
    EXPECT_EQ(std::memcmp(tensor->data, bytes.data() + tensor->fileBegin,
                          tensor->byteSize()),
              0)
        << tensor->name;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, FixtureTest,
    ::testing::Values(Fixture{"tiny_fp32_single", DType::F32, 1},
                      Fixture{"tiny_bf16_2shards", DType::BF16, 2},
                      Fixture{"tiny_gqa_fp32_4shards", DType::F32, 4}),
    [](const ::testing::TestParamInfo<Fixture> &info) {
      return std::string(info.param.name);
    });
