//===- GpuEndToEnd.cpp - a GPU artifact against the reference's goldens ---===//
//
//   xgenmm-gpu-e2e <artifact-dir> <fixture-dir> [tolerance=3e-2]
//
// Runs a compiled fixture through the runtime's C API (on a machine with a
// GPU for a "cuda" artifact) and compares with the fixture's goldens: the
// vision tokens of every image, the last prompt position's logits, and the
// logits of each greedy step while the chosen ids agree with the
// reference's. Errors are max |error| / max |golden| per tensor. The GPU
// multiplies bf16 x bf16 (activations rounded to bf16 in every dense
// layer), hence the default tolerance of 3e-2 rather than the CPU's 1e-4.
// One line per check, the last "PASS" or "FAIL"; exit status 0 on PASS.
// Without a GPU, loading a "cuda" artifact fails with the runtime's message
// and exit status 3 (the no-GPU path the lit test checks).
//===----------------------------------------------------------------------===//
#include "frontend/Json.h"
#include "frontend/Safetensors.h"
#include "runtime/xgenmm.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {

double relativeError(const float *a, const std::vector<float> &b) {
  double err = 0, scale = 0;
  for (size_t i = 0; i < b.size(); ++i) {
    err = std::max(err, (double)std::fabs(a[i] - b[i]));
    scale = std::max(scale, (double)std::fabs(b[i]));
  }
  return scale > 0 ? err / scale : err;
}

double ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since)
      .count();
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: xgenmm-gpu-e2e <artifact-dir> <fixture-dir> [tolerance]\n");
    return 2;
  }
  const std::string artifact = argv[1], fixture = argv[2];
  const double tolerance = argc > 3 ? std::atof(argv[3]) : 3e-2;
  std::string error;
  auto goldens = xgenmm::SafetensorsFile::open(fixture + "/goldens.safetensors", error);
  std::ifstream in(fixture + "/goldens.json");
  std::stringstream text;
  text << in.rdbuf();
  auto meta = xgenmm::parseJson(text.str(), error);
  if (!goldens || !meta) {
    std::printf("cannot read the goldens of %s: %s\nFAIL\n", fixture.c_str(), error.c_str());
    return 1;
  }
  auto tensor = [&](const std::string &name, std::vector<int64_t> *shape = nullptr) {
    const xgenmm::TensorInfo *t = goldens->find(name);
    std::vector<float> v;
    if (!t)
      return v;
    if (shape)
      *shape = t->shape;
    v.resize(t->numElements());
    std::memcpy(v.data(), t->data, v.size() * sizeof(float));
    return v;
  };
  auto ids = [&](const char *key) {
    std::vector<int32_t> out;
    if (const xgenmm::JsonValue *a = meta->get(key))
      for (const xgenmm::JsonValue &v : a->asArray())
        out.push_back((int32_t)v.asInteger());
    return out;
  };

  auto start = std::chrono::steady_clock::now();
  xgenmm_model *model = xgenmm_load(artifact.c_str());
  if (!model) {
    std::printf("load: %s\nFAIL\n", xgenmm_last_error());
    return 3;
  }
  std::printf("load_ms=%.1f\n", ms(start));
  const xgenmm_model_info *info = xgenmm_model_get_info(model);
  xgenmm_session *s = xgenmm_session_new(model);
  bool ok = s != nullptr;

  std::vector<std::vector<float>> images;
  const auto &list = meta->get("images")->asArray();
  for (size_t k = 0; ok && k < list.size(); ++k) {
    std::vector<int64_t> shape;
    std::vector<float> px = tensor("image" + std::to_string(k) + ".pixel_values", &shape);
    const xgenmm::JsonValue &im = list[k];
    xgenmm_image image{px.data(),
                       (int32_t)shape[0],
                       (int32_t)im.get("nph")->asInteger(),
                       (int32_t)im.get("npw")->asInteger(),
                       (int32_t)im.get("size_wh")->asArray()[0].asInteger(),
                       (int32_t)im.get("size_wh")->asArray()[1].asInteger()};
    std::vector<float> tokens((size_t)shape[0] * info->tokens_per_view * info->n_embd);
    auto t0 = std::chrono::steady_clock::now();
    if (xgenmm_encode_image(s, &image, tokens.data(), tokens.size()) != XGENMM_OK) {
      std::printf("encode_image %zu: %s\n", k, xgenmm_last_error());
      ok = false;
      break;
    }
    double t = ms(t0);
    double err = relativeError(tokens.data(), tensor("image" + std::to_string(k) + ".vision_tokens"));
    std::printf("vision_tokens image=%zu views=%d rel_err=%.3g ms=%.2f %s\n", k, image.n_views,
                err, t, err <= tolerance ? "ok" : "MISMATCH");
    ok &= err <= tolerance;
    images.push_back(std::move(tokens));
  }

  if (ok) {
    std::vector<xgenmm_vision_tokens> vis;
    for (const auto &t : images)
      vis.push_back({t.data(), (int32_t)(t.size() / info->n_embd)});
    std::vector<int32_t> prompt = ids("input_ids");
    auto t0 = std::chrono::steady_clock::now();
    if (xgenmm_prefill(s, prompt.data(), (int32_t)prompt.size(), vis.data(),
                       (int32_t)vis.size()) != XGENMM_OK) {
      std::printf("prefill: %s\n", xgenmm_last_error());
      ok = false;
    } else {
      double t = ms(t0);
      std::vector<int64_t> shape;
      std::vector<float> logits = tensor("logits", &shape);
      int64_t vocab = shape[1];
      std::vector<float> last(logits.end() - vocab, logits.end());
      double err = relativeError(xgenmm_logits(s), last);
      std::printf("prefill_logits tokens=%d rel_err=%.3g ms=%.2f %s\n",
                  xgenmm_session_position(s), err, t, err <= tolerance ? "ok" : "MISMATCH");
      ok &= err <= tolerance;

      std::vector<int32_t> want = ids("generated_ids");
      std::vector<float> stepLogits = tensor("generated_logits");
      size_t agreed = 0;
      double worst = 0, decodeMs = 0;
      for (size_t step = 0; step < want.size(); ++step) {
        const float *l = xgenmm_logits(s);
        std::vector<float> golden(stepLogits.begin() + step * vocab,
                                  stepLogits.begin() + (step + 1) * vocab);
        worst = std::max(worst, relativeError(l, golden));
        int32_t best = (int32_t)(std::max_element(l, l + vocab) - l);
        if (best != want[step])
          break;
        ++agreed;
        auto t1 = std::chrono::steady_clock::now();
        if (xgenmm_decode(s, want[step]) != XGENMM_OK) {
          std::printf("decode: %s\n", xgenmm_last_error());
          ok = false;
          break;
        }
        decodeMs += ms(t1);
      }
      std::printf("greedy_steps agreed=%zu/%zu max_rel_err=%.3g decode_ms_per_token=%.3f %s\n",
                  agreed, want.size(), worst, agreed ? decodeMs / agreed : 0.0,
                  worst <= tolerance ? "ok" : "MISMATCH");
      ok &= worst <= tolerance;
    }
  }
  xgenmm_session_free(s);
  xgenmm_free(model);
  std::printf("%s\n", ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}
