//===- CpuFeatures.h - does the host CPU have an LLVM feature? --*- C++ -*-===//
//
// manifest.json lists the target features the compiled code uses, spelled
// as LLVM spells them ("avx2", "fma", "avx512bf16", "sse4.2", ...). The
// runtime checks each against the host with cpuid, the way LLVM's
// sys::getHostCPUFeatures does: a vector extension counts only if the OS
// also saves its registers (XCR0), since otherwise its instructions fault.
//
//===----------------------------------------------------------------------===//
#ifndef XGENMM_RUNTIME_CPUFEATURES_H
#define XGENMM_RUNTIME_CPUFEATURES_H

#include <optional>
#include <string_view>

namespace xgenmm::runtime {

/// Whether the host CPU has the LLVM target feature `name`; nullopt if this
/// runtime does not know the name (any name on a host other than x86).
std::optional<bool> hostHasCpuFeature(std::string_view name);

} // namespace xgenmm::runtime

#endif // XGENMM_RUNTIME_CPUFEATURES_H
