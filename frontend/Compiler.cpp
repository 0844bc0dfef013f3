//===- Compiler.cpp - checkpoint or xgenmm IR -> artifact -----------------===//
#include "frontend/Compiler.h"
#include "frontend/GpuCompiler.h"
#include "frontend/Quantize.h"

#include "dialects/XgenmmOps.h"
#include "passes/Passes.h"
#include "runtime/ArtifactAbi.h"
#include "runtime/SyntheticWeights.h"
#include "runtime/Xxh64.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/SourceMgr.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"
#include "llvm/TargetParser/X86TargetParser.h"

#include <chrono>
#include <set>
#include <thread>
#include <cerrno>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cstring>
#include <fstream>

using namespace mlir;

namespace xgenmm {
namespace {

/// Prints "  <stage> ... <ms> ms" when the stage ends.
class Stage {
public:
  Stage(llvm::raw_ostream &log, const char *name) : log(log), name(name) {
    log << "  " << llvm::left_justify(name, 28) << " ";
    log.flush();
  }
  ~Stage() {
    double ms = std::chrono::duration<double, std::milli>(
                    std::chrono::steady_clock::now() - start)
                    .count();
    log << llvm::format("%8.0f ms", ms) << (detail.empty() ? "" : "  " + detail)
        << "\n";
  }
  std::string detail;

private:
  llvm::raw_ostream &log;
  const char *name;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
};

/// Attributes of the resolved config back to JSON for the manifest.
JsonValue toJson(Attribute a) {
  if (auto d = dyn_cast<DictionaryAttr>(a)) {
    std::vector<std::pair<std::string, JsonValue>> members;
    for (NamedAttribute n : d)
      members.emplace_back(n.getName().str(), toJson(n.getValue()));
    return JsonValue::object(members);
  }
  if (auto arr = dyn_cast<ArrayAttr>(a)) {
    std::vector<JsonValue> items;
    for (Attribute x : arr)
      items.push_back(toJson(x));
    return JsonValue::array(items);
  }
  if (auto i = dyn_cast<IntegerAttr>(a))
    return i.getType().isInteger(1) ? JsonValue::boolean(i.getValue().getBoolValue())
                                    : JsonValue::integer(i.getInt());
  if (auto f = dyn_cast<FloatAttr>(a))
    return JsonValue::number(f.getValueAsDouble());
  if (auto s = dyn_cast<StringAttr>(a))
    return JsonValue::string(s.str());
  return JsonValue::null();
}

const JsonValue *path(const JsonValue &root, std::initializer_list<const char *> keys) {
  const JsonValue *v = &root;
  for (const char *k : keys)
    if (!(v = v->get(k)))
      return nullptr;
  return v;
}
int64_t intAt(const JsonValue &root, std::initializer_list<const char *> keys) {
  const JsonValue *v = path(root, keys);
  return v && v->isInteger() ? v->asInteger() : 0;
}

uint16_t f32ToBf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) // NaN: keep it a quiet NaN
    return (uint16_t)((u >> 16) | 0x40);
  u += 0x7fffu + ((u >> 16) & 1); // round to nearest even
  return (uint16_t)(u >> 16);
}
float bf16ToF32(uint16_t h) {
  uint32_t u = (uint32_t)h << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
float f16ToF32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f,
           man = h & 0x3ff, u;
  if (exp == 0x1f)
    u = sign | 0x7f800000u | (man << 13);
  else if (exp != 0)
    u = sign | ((exp + 112) << 23) | (man << 13);
  else if (man == 0)
    u = sign;
  else { // subnormal: normalise
    int e = -1;
    do {
      ++e;
      man <<= 1;
    } while (!(man & 0x400));
    u = sign | ((uint32_t)(112 - e) << 23) | ((man & 0x3ff) << 13);
  }
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

/// Converts one tensor from its checkpoint dtype into `dst` (f32 or bf16).
void convert(const TensorInfo &t, Type dst, uint8_t *out) {
  int64_t n = t.numElements();
  auto load = [&](int64_t i) -> float {
    switch (t.dtype) {
    case DType::BF16: {
      uint16_t h;
      std::memcpy(&h, t.data + 2 * i, 2);
      return bf16ToF32(h);
    }
    case DType::F16: {
      uint16_t h;
      std::memcpy(&h, t.data + 2 * i, 2);
      return f16ToF32(h);
    }
    default: {
      float f;
      std::memcpy(&f, t.data + 4 * i, 4);
      return f;
    }
    }
  };
  if (dst.isF32() && t.dtype == DType::F32) {
    std::memcpy(out, t.data, 4 * n);
  } else if (dst.isBF16() && t.dtype == DType::BF16) {
    std::memcpy(out, t.data, 2 * n);
  } else if (dst.isF32()) {
    for (int64_t i = 0; i < n; ++i) {
      float f = load(i);
      std::memcpy(out + 4 * i, &f, 4);
    }
  } else {
    for (int64_t i = 0; i < n; ++i) {
      uint16_t h = f32ToBf16(load(i));
      std::memcpy(out + 2 * i, &h, 2);
    }
  }
}

/// Writes weights.bin from the layout xgenmm-bind-weights recorded.
/// Writes all of `size` bytes at `offset` of `fd`.
bool writeAt(int fd, const uint8_t *data, size_t size, int64_t offset) {
  while (size > 0) {
    ssize_t n = ::pwrite(fd, data, size, offset);
    if (n <= 0)
      return false;
    data += n;
    size -= n;
    offset += n;
  }
  return true;
}

/// Lets the kernel drop the pages of a tensor of the mapped checkpoint once
/// it has been converted: the full model is read once, not held in memory.
void releasePages(const TensorInfo &t) {
  uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
  uintptr_t begin = (uintptr_t)t.data & ~(page - 1);
  uintptr_t end = (uintptr_t)t.data + t.byteSize();
  ::madvise((void *)begin, end - begin, MADV_DONTNEED);
}

/// Writes weights.bin from the layout xgenmm-bind-weights recorded (the
/// module's `xgenmm.weight_layout` and `xgenmm.weight_bytes`), one layer of
/// one tensor at a time (peak memory: the largest layer, twice). Reads only
/// those (immutable) attributes: it may run on a thread of its own while
/// the module is lowered further.
/// Without a checkpoint (`weights` null: --synthetic-weights), the
/// deterministic stand-in values of runtime/SyntheticWeights.h.
bool writeWeights(ArrayAttr layout, IntegerAttr total, const WeightSet *weightSet,
                  const std::string &file, std::string &error) {
  if (!layout || !total) {
    error = "internal error: no weight layout after binding the weights";
    return false;
  }
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || ::ftruncate(fd, total.getInt()) != 0) {
    error = "cannot write " + file + ": " + std::strerror(errno);
    if (fd >= 0)
      ::close(fd);
    return false;
  }
  auto closeFile = llvm::make_scope_exit([&] { ::close(fd); });
  if (!weightSet) {
    std::vector<uint8_t> values;
    for (Attribute a : layout) {
      auto entry = cast<DictionaryAttr>(a);
      auto type = cast<RankedTensorType>(entry.getAs<TypeAttr>("type").getValue());
      std::string name = entry.getAs<StringAttr>("name").str();
      Type elt = type.getElementType();
      if (entry.get("quant") || !(elt.isF32() || elt.isBF16())) {
        error = "weight '" + name + "': synthetic weights are f32 or bf16 only, not quantized";
        return false;
      }
      values.resize(type.getNumElements() * (elt.isBF16() ? 2 : 4));
      runtime::synthesizeWeight(name, elt.isBF16(), type.getNumElements(), values.data());
      if (!writeAt(fd, values.data(), values.size(),
                   entry.getAs<IntegerAttr>("offset").getInt())) {
        error = "cannot write " + file + ": " + std::strerror(errno);
        return false;
      }
    }
    return true;
  }
  const WeightSet &weights = *weightSet;
  std::vector<uint8_t> converted, transposed;
  for (Attribute a : layout) {
    auto entry = cast<DictionaryAttr>(a);
    std::string name = entry.getAs<StringAttr>("name").str();
    int64_t offset = entry.getAs<IntegerAttr>("offset").getInt();
    auto type = cast<RankedTensorType>(entry.getAs<TypeAttr>("type").getValue());
    auto layersAttr = entry.getAs<IntegerAttr>("layers");
    int64_t layers = layersAttr ? layersAttr.getInt() : 1;
    int64_t perLayer = type.getNumElements() / layers;
    int64_t eltBytes = type.getElementType().getIntOrFloatBitWidth() / 8;
    // transposed: each layer, read as [N, K] (K the product of the
    // checkpoint dims after the first), is stored as [K, N]; the stored
    // type's last two dims are [K, N] (xgenmm-transpose-dense-weights).
    auto transposedAttr = entry.getAs<BoolAttr>("transposed");
    bool isTransposed = transposedAttr && transposedAttr.getValue();
    int64_t cols = isTransposed ? type.getShape().back() : 0; // N
    int64_t rows = isTransposed ? perLayer / cols : 0;        // K
    // A quantized weight (#xgenmm.quant): the checkpoint's [N, K] per layer
    // is quantized here; `values` [K, N] and `scales` [K / group, N] are
    // stored transposed, `dequantized` in the checkpoint layout as floats.
    auto quant = entry.getAs<mlir::xgenmm::QuantAttr>("quant");
    int64_t group = quant ? quant.getGroupSize() : 1;
    bool isScales = quant && quant.getPart() == "scales";
    bool isInt4 = quant && quant.getScheme() == "int4";
    bool vnni = quant && quant.getLayout() == "vnni";
    // Laid out here, not transposed below: int4 values (two per byte) and
    // the VNNI panels' scales.
    bool packed = isInt4 && (quant.getPart() == "values" || (vnni && isScales));
    // Checkpoint elements per layer.
    int64_t sourceElements = isScales ? perLayer * group : packed ? perLayer * 2 : perLayer;
    std::vector<float> wf, deq, scales;
    std::vector<int8_t> q;
    converted.resize(perLayer * eltBytes);
    transposed.resize(isTransposed ? perLayer * eltBytes : 0);
    for (int64_t l = 0; l < layers; ++l) {
      std::string layerName = name;
      if (size_t at = layerName.find("{}"); at != std::string::npos)
        layerName.replace(at, 2, std::to_string(l));
      const TensorInfo *t = weights.find(layerName);
      if (!t || t->numElements() != sourceElements) {
        error = "weight '" + layerName + "' is missing from the checkpoint or "
                "has another size than the IR says";
        return false;
      }
      if (quant) {
        // [N, K] in f32, quantized by rows of K.
        int64_t n = t->shape.empty() ? 1 : t->shape[0];
        int64_t k = sourceElements / n;
        wf.resize(sourceElements);
        q.resize(sourceElements);
        scales.resize(sourceElements / group);
        convert(*t, Float32Type::get(type.getContext()), reinterpret_cast<uint8_t *>(wf.data()));
        if (isInt4)
          quantizeInt4(wf.data(), n, k, group, q.data(), scales.data());
        else
          quantizeInt8(wf.data(), n, k, group, q.data(), scales.data());
        // The VNNI kernels apply f16 scales (their twin the same ones).
        if (vnni)
          roundToF16(scales.data(), (int64_t)scales.size());
        if (vnni && isScales) {
          // [N / P, K / group, P] f16, P from the stored type.
          packScalesVnni(scales.data(), n, k / group, type.getShape().back(),
                         reinterpret_cast<uint16_t *>(converted.data()));
        } else if (vnni && quant.getPart() == "values") {
          // VNNI panels [N / P, K / 8 (int8: K / 4), 4 P]: P from the stored type.
          if (isInt4)
            packInt4Vnni(q.data(), n, k, type.getShape().back() / 4, converted.data());
          else
            packInt8Vnni(q.data(), n, k, type.getShape().back() / 4, converted.data());
        } else if (packed) {
          // Packed K-major here: the stored layout, no transposition below.
          packInt4KMajor(q.data(), n, k, converted.data());
        } else if (quant.getPart() == "values") {
          std::memcpy(converted.data(), q.data(), perLayer);
        } else if (isScales) {
          std::memcpy(converted.data(), scales.data(), perLayer * 4);
        } else {
          deq.resize(sourceElements);
          dequantizeInt8(q.data(), scales.data(), n, k, group, deq.data());
          TensorInfo f32 = *t;
          f32.dtype = DType::F32;
          f32.data = reinterpret_cast<const uint8_t *>(deq.data());
          convert(f32, type.getElementType(), converted.data());
        }
      } else {
        convert(*t, type.getElementType(), converted.data());
      }
      releasePages(*t);
      const uint8_t *out = converted.data();
      // Packed and VNNI values and scales are laid out above already.
      bool laidOut = packed || (vnni && quant.getPart() != "dequantized");
      if (isTransposed && !laidOut) {
        // converted [N = cols][K = rows] -> transposed [K][N], in
        // cache-sized blocks.
        auto transpose = [&](auto element) {
          using T = decltype(element);
          constexpr int64_t kBlock = 64;
          const T *src = reinterpret_cast<const T *>(converted.data());
          T *dst = reinterpret_cast<T *>(transposed.data());
          for (int64_t n0 = 0; n0 < cols; n0 += kBlock)
            for (int64_t k0 = 0; k0 < rows; k0 += kBlock)
              for (int64_t n = n0; n < std::min(cols, n0 + kBlock); ++n)
                for (int64_t k = k0; k < std::min(rows, k0 + kBlock); ++k)
                  dst[k * cols + n] = src[n * rows + k];
        };
        if (eltBytes == 1)
          transpose(uint8_t());
        else if (eltBytes == 2)
          transpose(uint16_t());
        else
          transpose(uint32_t());
        out = transposed.data();
      }
      if (!writeAt(fd, out, perLayer * eltBytes, offset + l * perLayer * eltBytes)) {
        error = "cannot write " + file + ": " + std::strerror(errno);
        return false;
      }
    }
  }
  return true;
}

/// Size and XXH64 of a written file, read in chunks (weights.bin of the
/// full model is several GB; neither it nor its pages stay in memory).
JsonValue fileEntry(const std::string &file, std::string &error) {
  int fd = ::open(file.c_str(), O_RDONLY);
  if (fd < 0) {
    error = "cannot read back " + file + ": " + std::strerror(errno);
    return {};
  }
  runtime::Xxh64Stream hash;
  std::vector<char> chunk(16 << 20);
  int64_t bytes = 0, offset = 0;
  for (ssize_t n; (n = ::read(fd, chunk.data(), chunk.size())) != 0;) {
    if (n < 0) {
      error = "cannot read back " + file + ": " + std::strerror(errno);
      ::close(fd);
      return {};
    }
    hash.update(chunk.data(), n);
    bytes += n;
    // The file's pages are not needed again: let the kernel drop them.
    ::posix_fadvise(fd, offset, n, POSIX_FADV_DONTNEED);
    offset += n;
  }
  ::close(fd);
  return JsonValue::object(
      {{"bytes", JsonValue::integer(bytes)},
       {"xxh64", JsonValue::string(runtime::formatXxh64(hash.digest()))}});
}

} // namespace

/// The manifest's "memory": what a loaded artifact with one session
/// holds at most (informational): weights.bin (mapped), the arena (every
/// intermediate buffer of one call; allocated with the model), the two KV
/// caches at capacity (per session; pages committed as the context fills).
/// Bytes per element of a KV cache of `dtype` ("int8" rows carry their
/// scales inline: the width counts them).
static int64_t kvElementBytes(const std::string &dtype) {
  return dtype == "int8" ? 1 : dtype == "bf16" ? 2 : 4;
}

static JsonValue memoryManifest(int64_t weights, int64_t arena, int64_t kvPerToken,
                                int64_t capacity) {
  return JsonValue::object({{"weights_bytes", JsonValue::integer(weights)},
                            {"arena_bytes", JsonValue::integer(arena)},
                            {"kv_bytes_per_token", JsonValue::integer(kvPerToken)},
                            {"kv_cache_bytes", JsonValue::integer(kvPerToken * capacity)},
                            {"total_bytes", JsonValue::integer(weights + arena +
                                                               kvPerToken * capacity)}});
}

/// A model part quantized by --weights and its scheme (int8, int4).
using PartScheme = std::pair<std::string, std::string>;

/// The manifest's "weights": the quantization asked for and, per tensor of
/// weights.bin, its storage: name, type, bytes and scheme (f32, bf16, or
/// int8 / int4 values, scales or dequantized, with the group size).
static JsonValue weightsManifest(ModuleOp module, const CompileOptions &options,
                                 const std::vector<PartScheme> &quantParts) {
  std::vector<JsonValue> tensors;
  if (auto layout = module->getAttrOfType<ArrayAttr>("xgenmm.weight_layout"))
    for (Attribute a : layout) {
      auto entry = cast<DictionaryAttr>(a);
      auto type = cast<RankedTensorType>(entry.getAs<TypeAttr>("type").getValue());
      std::string typeStr;
      llvm::raw_string_ostream os(typeStr);
      type.print(os);
      std::string scheme = type.getElementType().isBF16() ? "bf16" : "f32";
      std::vector<std::pair<std::string, JsonValue>> members = {
          {"name", JsonValue::string(entry.getAs<StringAttr>("name").str())},
          {"type", JsonValue::string(typeStr)},
          {"bytes", JsonValue::integer(entry.getAs<IntegerAttr>("bytes").getInt())},
          {"offset", JsonValue::integer(entry.getAs<IntegerAttr>("offset").getInt())}};
      if (auto quant = entry.getAs<mlir::xgenmm::QuantAttr>("quant")) {
        members.emplace_back("scheme", JsonValue::string(quant.getScheme().str()));
        members.emplace_back("part", JsonValue::string(quant.getPart().str()));
        members.emplace_back("group_size", JsonValue::integer(quant.getGroupSize()));
        if (quant.getLayout() != "kmajor")
          members.emplace_back("layout", JsonValue::string(quant.getLayout().str()));
      } else {
        members.emplace_back("scheme", JsonValue::string(scheme));
      }
      tensors.push_back(JsonValue::object(members));
    }
  std::vector<JsonValue> parts;
  std::vector<std::pair<std::string, JsonValue>> schemes;
  std::string scheme;
  for (const auto &[p, s] : quantParts) {
    parts.push_back(JsonValue::string(p));
    schemes.emplace_back(p, JsonValue::string(s));
    scheme = scheme.empty() || scheme == s ? s : "mixed";
  }
  return JsonValue::object(
      {{"quantized_parts", JsonValue::array(parts)},
       {"scheme", quantParts.empty() ? JsonValue::null() : JsonValue::string(scheme)},
       {"schemes", JsonValue::object(schemes)},
       {"group_size", quantParts.empty() ? JsonValue::null()
                                         : JsonValue::integer(options.groupSize)},
       {"simulated", JsonValue::boolean(options.simulateQuantization)},
       {"synthetic", JsonValue::boolean(options.syntheticWeights)},
       {"tensors", JsonValue::array(tensors)}});
}

/// Whether `feature` (LLVM's x86 spelling) is an instruction-set extension
/// compiled code may use: vector, bit-manipulation and crypto ones.
static bool usableByCode(llvm::StringRef feature) {
  for (llvm::StringRef prefix : {"sse", "ssse3", "avx", "fma", "f16c", "bmi", "lzcnt",
                                 "popcnt", "movbe", "adx", "gfni", "vaes", "vpclmulqdq",
                                 "pclmul", "aes", "sha", "amx", "cx16", "sahf", "prfchw",
                                 "crc32"})
    if (feature.starts_with(prefix))
      return true;
  return false;
}

/// Whether the CPU the artifact targets has `feature` (LLVM's spelling):
/// listed in --target-features, else one of --target-cpu's features, else
/// the host's when neither is given.
static bool targetHas(const CompileOptions &options, llvm::StringRef feature) {
  if (!options.targetFeatures.empty()) {
    llvm::SmallVector<llvm::StringRef> items;
    llvm::StringRef(options.targetFeatures).split(items, ',');
    return llvm::is_contained(items, ("+" + feature).str());
  }
  if (!options.targetCpu.empty()) {
    llvm::SmallVector<llvm::StringRef> features;
    llvm::X86::getFeaturesForCPU(options.targetCpu, features);
    return llvm::is_contained(features, feature);
  }
  return llvm::sys::getHostCPUFeatures().lookup(feature);
}

static bool quantizedParts(const CompileOptions &options, std::vector<PartScheme> &parts,
                           std::string &error) {
  llvm::StringRef spec = options.weights;
  if (spec.empty() || spec == "f32" || spec == "bf16")
    return true;
  if (spec == "int8" || spec == "int4") {
    parts = {{"language", spec.str()}};
  } else if (!spec.contains('=')) {
    error = "--weights must be f32, bf16, int8, int4 or part=scheme,..., got '" +
            spec.str() + "'";
    return false;
  } else {
    llvm::SmallVector<llvm::StringRef> items;
    spec.split(items, ',');
    for (llvm::StringRef item : items) {
      auto [part, partScheme] = item.split('=');
      part = part.trim();
      partScheme = partScheme.trim();
      if (part != "vision" && part != "resampler" && part != "language" && part != "head") {
        error = "--weights: unknown model part '" + part.str() +
                "' (parts: vision, resampler, language, head; the patch embedding and "
                "the token embedding are not quantized)";
        return false;
      }
      if (llvm::any_of(parts, [&](const PartScheme &p) { return p.first == part; })) {
        error = "--weights: part '" + part.str() + "' given twice";
        return false;
      }
      if (partScheme == "f32" || partScheme == "bf16")
        continue; // Follows --dtype.
      if (partScheme != "int8" && partScheme != "int4") {
        error = "--weights: unsupported scheme '" + partScheme.str() + "' for " +
                part.str() + " (supported: int8, int4)";
        return false;
      }
      parts.emplace_back(part.str(), partScheme.str());
    }
  }
  const int64_t g = options.groupSize;
  if (g != 8 && g != 16 && g != 32 && g != 64 && g != 128) {
    error = "--group-size must be 32, 64 or 128 (8 or 16 for tiny models), got " +
            std::to_string(g);
    return false;
  }
  return true;
}

bool compileArtifact(const std::string &input, const std::string &output,
                     const CompileOptions &options, llvm::raw_ostream &log,
                     std::string &error) {
  std::vector<PartScheme> quantParts;
  if (!quantizedParts(options, quantParts, error))
    return false;
  if (options.simulateQuantization && quantParts.empty()) {
    error = "--simulate-quantization needs --weights with a quantized part (e.g. int8)";
    return false;
  }
  if (!quantParts.empty() && isGpuTarget(options)) {
    error = "--weights " + options.weights + " is a CPU option for now (GPU artifacts "
            "store bf16 weights)";
    return false;
  }
  if (options.dtype != "f32" && options.dtype != "bf16") {
    error = "--dtype must be f32 or bf16, got '" + options.dtype + "'";
    return false;
  }
  if (isGpuTarget(options) && !checkGpuOptions(options, error))
    return false;
  if (!isGpuTarget(options) && !options.targetCpu.empty() &&
      llvm::X86::parseArchX86(options.targetCpu, /*Only64Bit=*/true) == llvm::X86::CK_None) {
    error = "--target-cpu '" + options.targetCpu +
            "' is not an x86-64 CPU LLVM knows (e.g. x86-64-v3, znver4, sapphirerapids)";
    return false;
  }
  if (options.matmulPrecision != "f32" && options.matmulPrecision != "bf16") {
    error = "--matmul-precision must be f32 or bf16, got '" + options.matmulPrecision + "'";
    return false;
  }
  if (options.matmulPrecision == "bf16") {
    if (isGpuTarget(options)) {
      error = "--matmul-precision bf16 is a CPU option (GPU artifacts use tensor cores)";
      return false;
    }
    if (options.dtype != "bf16") {
      error = "--matmul-precision bf16 needs bf16 weights (--dtype bf16), got --dtype " +
              options.dtype;
      return false;
    }
    if (!targetHas(options, "avx512bf16")) {
      error = "--matmul-precision bf16 needs a target CPU with AVX512-BF16 (avx512bf16); " +
              std::string(options.targetFeatures.empty() && options.targetCpu.empty()
                              ? "this machine has none"
                              : "add +avx512bf16 to --target-features if the target has it");
      return false;
    }
  }
  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registry.insert<mlir::xgenmm::XgenmmDialect>();
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerOpenMPDialectTranslation(registry);
  registerGpuTranslations(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  // Compiler diagnostics (a pass failing, a bad .mlir input) go to the log
  // with their locations.
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context, log);

  if (!llvm::sys::fs::exists(input)) {
    error = input + ": no such file or directory";
    return false;
  }
  // Never replace a directory that is not an artifact (a typo in -o must
  // not delete someone's data).
  if (llvm::sys::fs::exists(output)) {
    std::error_code ec;
    bool empty = llvm::sys::fs::directory_iterator(output, ec) ==
                 llvm::sys::fs::directory_iterator();
    if (!llvm::sys::fs::is_directory(output) ||
        (!empty && !llvm::sys::fs::exists(output + "/" + abi::kManifestFile))) {
      error = output + " exists and is not an xgenmm artifact directory; "
              "refusing to replace it";
      return false;
    }
  }
  log << "xgenmm-compile: " << input << " -> " << output << "\n";
  OwningOpRef<ModuleOp> module;
  std::unique_ptr<WeightSet> weights;
  std::string checkpoint = options.checkpointDir;
  {
    Stage stage(log, "import");
    if (llvm::sys::fs::is_directory(input)) {
      if (options.syntheticWeights) {
        error = "--synthetic-weights takes xgenmm IR (a .mlir file), not a checkpoint: "
                "a checkpoint has its weights";
        return false;
      }
      auto imported = importCheckpoint(context, input, options.import, error);
      if (!imported)
        return false;
      module = std::move(imported->module);
      weights = std::move(imported->weights);
      stage.detail = std::to_string(imported->tensorsUsed) + " tensors";
    } else {
      module = parseSourceFile<ModuleOp>(input, &context);
      if (!module) {
        error = input + ": cannot parse the xgenmm IR (diagnostics above)";
        return false;
      }
      if (checkpoint.empty())
        if (auto a = (*module)->getAttrOfType<StringAttr>("xgenmm.checkpoint"))
          checkpoint = a.str();
      if (options.syntheticWeights) {
        stage.detail = "synthetic weights (no checkpoint)";
      } else {
        if (checkpoint.empty()) {
          error = input + ": no checkpoint to read weights from: pass "
                  "--checkpoint <dir> (the module has no xgenmm.checkpoint attribute), "
                  "or --synthetic-weights";
          return false;
        }
        weights = WeightSet::open(checkpoint, error);
        if (!weights)
          return false;
        stage.detail = "weights from " + checkpoint;
      }
    }
  }
  auto configAttr = (*module)->getAttrOfType<DictionaryAttr>("xgenmm.config");
  if (!configAttr) {
    error = input + ": the module has no xgenmm.config attribute (import the "
            "checkpoint with xgenmm-import)";
    return false;
  }
  JsonValue config = toJson(configAttr);
  std::string modelName = "model";
  if (auto a = (*module)->getAttrOfType<StringAttr>("xgenmm.model"))
    modelName = a.str();
  // KV-cache geometry from the IR itself (the decode entry's cache type).
  int64_t kvLayers = 0, kvCapacity = 0, kvWidth = 0;
  std::string kvDtype = "f32";
  if (auto decode = module->lookupSymbol<func::FuncOp>("decode")) {
    auto cache = cast<RankedTensorType>(decode.getFunctionType().getInput(2));
    kvLayers = cache.getDimSize(0);
    kvCapacity = cache.getDimSize(1);
    kvWidth = cache.getDimSize(2);
    if (cache.getElementType().isBF16())
      kvDtype = "bf16";
    else if (cache.getElementType().isInteger(8))
      kvDtype = "int8";
    else if (!cache.getElementType().isF32()) {
      error = input + ": the KV cache's element type must be f32, bf16 or i8";
      return false;
    }
  }

  // Tokens per prefill call: chunks of a longer prompt (runtime).
  int64_t prefillChunk = kvCapacity;
  if (!isGpuTarget(options))
    prefillChunk = options.prefillChunk > 0 ? std::min(options.prefillChunk, kvCapacity)
                                            : std::min(kDefaultPrefillChunk, kvCapacity);

  // The largest image: the global view plus the crops of the largest grid.
  int64_t image = intAt(config, {"vision", "image_size"});
  int64_t maxCrops = 0;
  if (const JsonValue *grids = path(config, {"preprocessor", "grids"}))
    for (const JsonValue &g : grids->asArray())
      maxCrops = std::max(maxCrops, (g.asArray()[0].asInteger() / image) *
                                        (g.asArray()[1].asInteger() / image));

  // Build into a temporary directory; rename into place at the end.
  llvm::SmallString<256> tmp(output);
  tmp += ".tmp-%%%%%%";
  llvm::SmallString<256> tmpDir;
  llvm::sys::fs::createUniquePath(tmp, tmpDir, /*MakeAbsolute=*/false);
  if (std::error_code ec = llvm::sys::fs::create_directories(tmpDir)) {
    error = "cannot create " + tmpDir.str().str() + ": " + ec.message();
    return false;
  }
  auto cleanup = llvm::make_scope_exit([&] { llvm::sys::fs::remove_directories(tmpDir); });
  auto inTmp = [&](const char *f) { return (tmpDir + "/" + f).str(); };

  // On a CPU target weights.bin is written on a thread of its own while
  // the code generation half of the pipeline runs (its layout is final
  // after the first half; both take about as long at full size).
  std::thread writer;
  bool writerOk = false;
  std::string writerError;
  double writerMs = 0;
  auto joinWriter = llvm::make_scope_exit([&] {
    if (writer.joinable())
      writer.join();
  });
  auto layoutOf = [&] {
    return std::make_pair(
        (*module)->getAttrOfType<ArrayAttr>("xgenmm.weight_layout"),
        (*module)->getAttrOfType<IntegerAttr>("xgenmm.weight_bytes"));
  };

  {
    Stage stage(log, "lower to LLVM dialect");
    PassManager pm(&context);
    if (isGpuTarget(options)) {
      buildGpuTargetPipeline(pm, options);
      if (failed(pm.run(*module))) {
        error = "the GPU pipeline failed (diagnostics above)";
        return false;
      }
      stage.detail = "gpu " + options.gpuTarget + ", " + options.gpuFormat;
    } else {
    // One quantization pass per scheme, each over its parts.
    for (const char *scheme : {"int8", "int4"}) {
      mlir::xgenmm::XgenmmQuantizeWeightsOptions quantize;
      quantize.scheme = scheme;
      quantize.groupSize = options.groupSize;
      for (const auto &[part, partScheme] : quantParts)
        if (partScheme == scheme)
          quantize.parts.push_back(part);
      if (quantize.parts.empty())
        continue;
      quantize.simulate = options.simulateQuantization;
      quantize.vnni = targetHas(options, "avx512vnni") && targetHas(options, "avx512bw");
      pm.addPass(mlir::xgenmm::createXgenmmQuantizeWeights(quantize));
    }
    mlir::xgenmm::CpuPipelineOptions pipeline;
    pipeline.dtype = options.dtype;
    pipeline.maxTokens = prefillChunk;
    pipeline.maxPosition = kvCapacity;
    pipeline.maxViews = 1 + maxCrops;
    pipeline.bf16Dot = options.matmulPrecision == "bf16";
    pipeline.expandBf16 = !targetHas(options, "avx512bf16");
    pipeline.avx512 = targetHas(options, "avx512f");
    mlir::xgenmm::buildCpuLinalgPipeline(pm, pipeline);
    if (failed(pm.run(*module))) {
      error = "the CPU pipeline failed (diagnostics above)";
      return false;
    }
    // Not when a memory budget may compile the checkpoint again.
    if (options.memoryBudget <= 0) {
      auto [layout, total] = layoutOf();
      writer = std::thread([&, layout = layout, total = total] {
        auto start = std::chrono::steady_clock::now();
        writerOk = writeWeights(layout, total, weights.get(), inTmp(abi::kWeightsFile), writerError);
        writerMs = std::chrono::duration<double, std::milli>(
                       std::chrono::steady_clock::now() - start)
                       .count();
      });
    }
    PassManager codegen(&context);
    mlir::xgenmm::buildCpuCodegenHalf(codegen, pipeline);
    if (failed(codegen.run(*module))) {
      error = "the CPU pipeline failed (diagnostics above)";
      return false;
    }
    }
  }

  // The memory budget: weights, arena and KV caches at capacity. Over it, a
  // checkpoint without --context is compiled again at the largest context
  // that fits (the arena only shrinks with the context: its attention
  // scores span the context).
  if (options.memoryBudget > 0 && kvCapacity > 0) {
    auto attr = [&](llvm::StringRef name) {
      auto a = (*module)->getAttrOfType<IntegerAttr>(name);
      return a ? a.getInt() : int64_t{0};
    };
    int64_t weightBytes = attr("xgenmm.weight_bytes"), arena = attr("xgenmm.arena_bytes");
    int64_t perToken = 2 * kvLayers * kvWidth * kvElementBytes(kvDtype);
    int64_t total = weightBytes + arena + perToken * kvCapacity;
    if (total > options.memoryBudget) {
      int64_t room = options.memoryBudget - weightBytes - arena;
      int64_t fits = room > 0 ? room / perToken : 0;
      std::string need = "the artifact needs " + std::to_string(total) +
                         " bytes (weights " + std::to_string(weightBytes) + ", arena " +
                         std::to_string(arena) + ", KV caches " +
                         std::to_string(perToken * kvCapacity) + " at a context of " +
                         std::to_string(kvCapacity) + ") > --memory-budget " +
                         std::to_string(options.memoryBudget);
      if (fits < 1) {
        error = need + "; the weights and the arena alone exceed it";
        return false;
      }
      if (options.import.contextLength != 0 || !llvm::sys::fs::is_directory(input)) {
        error = need + "; a context of " + std::to_string(fits) + " tokens fits (--context " +
                std::to_string(fits) + ")";
        return false;
      }
      log << "xgenmm-compile: " << need << ": compiling again with a context of " << fits
          << " tokens\n";
      CompileOptions smaller = options;
      smaller.import.contextLength = fits;
      return compileArtifact(input, output, smaller, log, error);
    }
  }

  int64_t arenaBytes = 0;
  if (auto a = (*module)->getAttrOfType<IntegerAttr>("xgenmm.arena_bytes"))
    arenaBytes = a.getInt();

  {
    Stage stage(log, "write weights.bin");
    if (writer.joinable()) {
      writer.join();
      if (!writerOk) {
        error = writerError;
        return false;
      }
    } else {
      auto [layout, total] = layoutOf();
      if (!writeWeights(layout, total, weights.get(), inTmp(abi::kWeightsFile), error))
        return false;
    }
    stage.detail = std::to_string(
                       (*module)->getAttrOfType<IntegerAttr>("xgenmm.weight_bytes").getInt() >>
                       20) +
                   " MiB, " + options.dtype;
    if (writerMs > 0)
      stage.detail += llvm::formatv(" (written alongside the lowering in {0:F0} ms)", writerMs).str();
  }

  // The checkpoint's text and image input files travel with the artifact
  // (ArtifactAbi.h "inputs"); a checkpoint without them still compiles.
  std::vector<std::string> tokenizerFiles;
  bool havePreprocessor = false;
  {
    Stage stage(log, "copy tokenizer and preprocessor files");
    const std::string source =
        llvm::sys::fs::is_directory(input) ? input : checkpoint;
    auto copyInput = [&](const char *name) {
      std::string from = source + "/" + name;
      if (source.empty() || !llvm::sys::fs::is_regular_file(from))
        return false;
      if (std::error_code ec = llvm::sys::fs::copy_file(from, inTmp(name))) {
        error = "cannot copy " + from + " into the artifact: " + ec.message();
        return false;
      }
      return true;
    };
    if (llvm::sys::fs::is_regular_file(source + "/" + abi::kTokenizerModelFile))
      for (const char *name : abi::kTokenizerFiles)
        if (copyInput(name))
          tokenizerFiles.push_back(name);
    havePreprocessor = copyInput(abi::kPreprocessorFile);
    if (!error.empty())
      return false;
    stage.detail = tokenizerFiles.empty()
                       ? "no tokenizer.model: the artifact takes ids only"
                       : std::to_string(tokenizerFiles.size()) + " tokenizer files";
  }

  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  std::string cpu = options.targetCpu.empty() ? llvm::sys::getHostCPUName().str()
                                              : options.targetCpu;
  std::string features = options.targetFeatures;
  if (features.empty() && options.targetCpu.empty())
    for (auto &f : llvm::sys::getHostCPUFeatures())
      features += (features.empty() ? "" : ",") + std::string(f.second ? "+" : "-") +
                  f.first().str();
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  std::string lookupError;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, lookupError);
  if (!target) {
    error = "no LLVM target for " + triple.str() + ": " + lookupError;
    return false;
  }
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, cpu, features, llvm::TargetOptions(), llvm::Reloc::PIC_,
      std::nullopt, llvm::CodeGenOptLevel::Aggressive));
  if (!machine) {
    error = "cannot create a target machine for cpu '" + cpu + "'";
    return false;
  }

  {
    Stage stage(log, "LLVM IR, optimise, object");
    if (options.keepIntermediates) {
      std::error_code ec;
      llvm::raw_fd_ostream os(inTmp("model.mlir"), ec);
      module->print(os);
    }
    llvm::LLVMContext llvmContext;
    std::unique_ptr<llvm::Module> llvmModule =
        translateModuleToLLVMIR(*module, llvmContext, modelName);
    if (!llvmModule) {
      error = "translation to LLVM IR failed (diagnostics above)";
      return false;
    }
    llvmModule->setDataLayout(machine->createDataLayout());
    llvmModule->setTargetTriple(triple);
    if (llvm::Error e = makeOptimizingTransformer(3, 0, machine.get())(llvmModule.get())) {
      error = "LLVM optimisation failed: " + llvm::toString(std::move(e));
      return false;
    }
    if (options.keepIntermediates) {
      std::error_code ec;
      llvm::raw_fd_ostream os(inTmp("model.ll"), ec);
      llvmModule->print(os, nullptr);
    }
    std::error_code ec;
    llvm::raw_fd_ostream obj(inTmp("model.o"), ec, llvm::sys::fs::OF_None);
    if (ec) {
      error = "cannot write model.o: " + ec.message();
      return false;
    }
    llvm::legacy::PassManager codegen;
    if (machine->addPassesToEmitFile(codegen, obj, nullptr,
                                     llvm::CodeGenFileType::ObjectFile)) {
      error = "the target cannot emit object files";
      return false;
    }
    codegen.run(*llvmModule);
    stage.detail = "cpu " + cpu;
  }

  {
    Stage stage(log, "link model.so");
    // The link uses the toolchain's clang driver; the result depends only
    // on libc, libm and the OpenMP runtime (libomp.so.5: the parallel
    // loops; found at the toolchain's library directory first, then as
    // the system's, e.g. Debian's libomp5).
    std::string clang = std::string(XGENMM_LLVM_TOOLS_DIR) + "/clang";
    if (!llvm::sys::fs::can_execute(clang)) {
      auto found = llvm::sys::findProgramByName("clang-22");
      if (!found) {
        error = "cannot find clang to link model.so (install clang-22)";
        return false;
      }
      clang = *found;
    }
    std::string so = inTmp(abi::kModelFile), o = inTmp("model.o");
    std::string libDir = std::string(XGENMM_LLVM_TOOLS_DIR) + "/../lib";
    std::string libSearch = "-L" + libDir, rpath = "-Wl,-rpath," + libDir;
    llvm::SmallVector<llvm::StringRef> args = {clang, "-shared", "-fPIC", "-o", so, o};
    // GPU artifacts' host code has no parallel loops: no OpenMP runtime.
    if (!isGpuTarget(options))
      args.append({libSearch, "-lomp", rpath});
    args.append({"-lm", "-Wl,-z,noexecstack"});
    std::string message;
    if (llvm::sys::ExecuteAndWait(clang, args, std::nullopt, {}, 0, 0, &message) != 0) {
      error = "linking model.so failed" + (message.empty() ? "" : ": " + message);
      return false;
    }
    llvm::sys::fs::remove(o);
  }

  {
    Stage stage(log, "manifest.json");
    std::vector<JsonValue> featureList;
    for (auto &f : llvm::sys::getHostCPUFeatures())
      if (f.second && (features.empty() ||
                       llvm::StringRef(features).contains("+" + f.first().str())))
        featureList.push_back(JsonValue::string(f.first().str()));
    // A CPU or features given: exactly those the target has, not the
    // host's (which may lack them: the runtime checks this list). A CPU's
    // are its instruction-set extensions that generated code may use and
    // host detection knows (the runtime's table follows it): not system
    // ones (mwaitx, rdpru, sgx, ...) that hypervisors often hide; then '+'
    // features are added and '-' ones removed.
    if (!options.targetCpu.empty() || !options.targetFeatures.empty()) {
      llvm::StringMap<bool> host = llvm::sys::getHostCPUFeatures();
      std::set<std::string> target;
      if (!options.targetCpu.empty()) {
        llvm::SmallVector<llvm::StringRef> cpuFeatures;
        llvm::X86::getFeaturesForCPU(options.targetCpu, cpuFeatures);
        for (llvm::StringRef f : cpuFeatures)
          if (host.contains(f) && usableByCode(f))
            target.insert(f.str());
      }
      for (llvm::StringRef f : llvm::split(features, ',')) {
        if (f.consume_front("+"))
          target.insert(f.str());
        else if (f.consume_front("-"))
          target.erase(f.str());
      }
      featureList.clear();
      for (const std::string &f : target)
        featureList.push_back(JsonValue::string(f));
    }
    std::sort(featureList.begin(), featureList.end(),
              [](const JsonValue &a, const JsonValue &b) {
                return a.asString() < b.asString();
              });
    JsonValue so = fileEntry(inTmp(abi::kModelFile), error);
    JsonValue wb = fileEntry(inTmp(abi::kWeightsFile), error);
    std::vector<std::pair<std::string, JsonValue>> fileMembers = {
        {abi::kModelFile, so}, {abi::kWeightsFile, wb}};
    std::vector<JsonValue> tokenizerList;
    for (const std::string &name : tokenizerFiles) {
      fileMembers.emplace_back(name, fileEntry(inTmp(name.c_str()), error));
      tokenizerList.push_back(JsonValue::string(name));
    }
    if (havePreprocessor)
      fileMembers.emplace_back(abi::kPreprocessorFile,
                               fileEntry(inTmp(abi::kPreprocessorFile), error));
    if (!error.empty())
      return false;
    bool anyres = maxCrops > 0;
    int64_t base = intAt(config, {"text", "initial_tokenizer_len"});
    JsonValue special = *path(config, {"special_tokens"});
    std::vector<std::pair<std::string, JsonValue>> specialMembers = special.asObject();
    for (const char *k : {"bos_token_id", "eos_token_id", "pad_token_id"})
      specialMembers.emplace_back(std::string(k).substr(0, 3),
                                  JsonValue::integer(intAt(config, {"text", k})));
    JsonValue manifest = JsonValue::object({
        {"format", JsonValue::string(abi::kFormat)},
        {"format_version", JsonValue::integer(abi::kFormatVersion)},
        {"model", JsonValue::string(modelName)},
        {"config", config},
        {"target", isGpuTarget(options)
                       ? gpuTargetManifest(options, triple.str(), cpu)
                       : JsonValue::object({{"kind", JsonValue::string("cpu")},
                                            {"triple", JsonValue::string(triple.str())},
                                            {"cpu", JsonValue::string(cpu)},
                                            {"features", JsonValue::array(featureList)}})},
        {"dtype", JsonValue::string(options.dtype)},
        {"matmul_precision", JsonValue::string(options.matmulPrecision)},
        {"weights", weightsManifest(*module, options, quantParts)},
        {"files", JsonValue::object(fileMembers)},
        {"encode_image",
         JsonValue::object(
             {{"symbol", JsonValue::string(abi::kEncodeImageSymbol)},
              {"image_size", JsonValue::integer(image)},
              {"max_views", JsonValue::integer(1 + maxCrops)},
              {"tokens_per_view", JsonValue::integer(intAt(config, {"resampler", "num_latents"}))},
              {"width", JsonValue::integer(intAt(config, {"text", "hidden_size"}))},
              {"anyres", JsonValue::boolean(anyres)}})},
        {"arena_bytes", JsonValue::integer(arenaBytes)},
        {"memory", memoryManifest(
                       (*module)->getAttrOfType<IntegerAttr>("xgenmm.weight_bytes").getInt(),
                       arenaBytes, 2 * kvLayers * kvWidth * kvElementBytes(kvDtype),
                       kvCapacity)},
        {"prefill", JsonValue::object({{"symbol", JsonValue::string(abi::kPrefillSymbol)},
                                       {"max_tokens", JsonValue::integer(prefillChunk)}})},
        {"decode", JsonValue::object({{"symbol", JsonValue::string(abi::kDecodeSymbol)}})},
        {"kv_cache", JsonValue::object({{"layers", JsonValue::integer(kvLayers)},
                                        {"capacity", JsonValue::integer(kvCapacity)},
                                        {"width", JsonValue::integer(kvWidth)},
                                        {"dtype", JsonValue::string(kvDtype)}})},
        {"vocab", JsonValue::object({{"base", JsonValue::integer(base)},
                                     {"logits", JsonValue::integer(base + 3)}})},
        {"special_tokens", JsonValue::object(specialMembers)},
        {"inputs", JsonValue::object(
                       {{"tokenizer", JsonValue::array(tokenizerList)},
                        {"preprocessor", havePreprocessor
                                             ? JsonValue::string(abi::kPreprocessorFile)
                                             : JsonValue::null()}})},
    });
    std::ofstream out(inTmp(abi::kManifestFile), std::ios::binary);
    out << manifest.serialize() << "\n";
    if (!out) {
      error = "cannot write manifest.json";
      return false;
    }
  }

  // Replace any previous artifact only now that the new one is complete.
  if (llvm::sys::fs::exists(output))
    if (std::error_code ec = llvm::sys::fs::remove_directories(output)) {
      error = "cannot replace " + output + ": " + ec.message();
      return false;
    }
  if (std::error_code ec = llvm::sys::fs::rename(tmpDir, output)) {
    error = "cannot move the artifact to " + output + ": " + ec.message();
    return false;
  }
  cleanup.release();
  log << "xgenmm-compile: wrote " << output << "\n";
  return true;
}

} // namespace xgenmm
