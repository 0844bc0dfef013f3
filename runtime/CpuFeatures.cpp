//===- CpuFeatures.cpp - does the host CPU have an LLVM feature? ----------===//
//
// The table follows the bits of LLVM 22's sys::getHostCPUFeatures for x86
// (llvm/lib/TargetParser/Host.cpp), Intel SDM vol. 2A "CPUID" and AMD APM
// vol. 3 appendix E, plus the names LLVM implies without a bit of their own
// ("crc32" with sse4.2, "evex512" with avx512f, "x87" with the FPU bit).
//
//===----------------------------------------------------------------------===//

#include "runtime/CpuFeatures.h"

#include <cstdint>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

using namespace xgenmm::runtime;

#if defined(__x86_64__) || defined(__i386__)

namespace {

// The cpuid (leaf, subleaf) outputs the table reads.
enum Leaf {
  L1,   // 0x1
  L7,   // 0x7.0
  L7S1, // 0x7.1
  LD1,  // 0xD.1
  L14,  // 0x14.0
  L19,  // 0x19
  L1E1, // 0x1E.1
  Ext1, // 0x80000001
  Ext8, // 0x80000008
  kLeaves
};
enum Reg { EAX, EBX, ECX, EDX };

// Register state the OS must save for a feature to be usable.
enum Save { None, Avx, Avx512, Amx };

struct Feature {
  const char *name;
  Leaf leaf;
  Reg reg;
  uint8_t bit;
  Save save;
};

constexpr Feature kFeatures[] = {
    {"x87", L1, EDX, 0, None},
    {"cx8", L1, EDX, 8, None},
    {"cmov", L1, EDX, 15, None},
    {"mmx", L1, EDX, 23, None},
    {"fxsr", L1, EDX, 24, None},
    {"sse", L1, EDX, 25, None},
    {"sse2", L1, EDX, 26, None},
    {"sse3", L1, ECX, 0, None},
    {"pclmul", L1, ECX, 1, None},
    {"ssse3", L1, ECX, 9, None},
    {"fma", L1, ECX, 12, Avx},
    {"cx16", L1, ECX, 13, None},
    {"sse4.1", L1, ECX, 19, None},
    {"sse4.2", L1, ECX, 20, None},
    {"crc32", L1, ECX, 20, None},
    {"movbe", L1, ECX, 22, None},
    {"popcnt", L1, ECX, 23, None},
    {"aes", L1, ECX, 25, None},
    {"xsave", L1, ECX, 26, Avx},
    {"avx", L1, ECX, 28, Avx},
    {"f16c", L1, ECX, 29, Avx},
    {"rdrnd", L1, ECX, 30, None},

    {"sahf", Ext1, ECX, 0, None},
    {"lzcnt", Ext1, ECX, 5, None},
    {"sse4a", Ext1, ECX, 6, None},
    {"prfchw", Ext1, ECX, 8, None},
    {"xop", Ext1, ECX, 11, Avx},
    {"lwp", Ext1, ECX, 15, None},
    {"fma4", Ext1, ECX, 16, Avx},
    {"tbm", Ext1, ECX, 21, None},
    {"mwaitx", Ext1, ECX, 29, None},
    {"64bit", Ext1, EDX, 29, None},

    {"clzero", Ext8, EBX, 0, None},
    {"rdpru", Ext8, EBX, 4, None},
    {"wbnoinvd", Ext8, EBX, 9, None},

    {"fsgsbase", L7, EBX, 0, None},
    {"sgx", L7, EBX, 2, None},
    {"bmi", L7, EBX, 3, None},
    {"avx2", L7, EBX, 5, Avx},
    {"bmi2", L7, EBX, 8, None},
    {"invpcid", L7, EBX, 10, None},
    {"rtm", L7, EBX, 11, None},
    {"avx512f", L7, EBX, 16, Avx512},
    {"evex512", L7, EBX, 16, Avx512},
    {"avx512dq", L7, EBX, 17, Avx512},
    {"rdseed", L7, EBX, 18, None},
    {"adx", L7, EBX, 19, None},
    {"avx512ifma", L7, EBX, 21, Avx512},
    {"clflushopt", L7, EBX, 23, None},
    {"clwb", L7, EBX, 24, None},
    {"avx512cd", L7, EBX, 28, Avx512},
    {"sha", L7, EBX, 29, None},
    {"avx512bw", L7, EBX, 30, Avx512},
    {"avx512vl", L7, EBX, 31, Avx512},

    {"avx512vbmi", L7, ECX, 1, Avx512},
    {"pku", L7, ECX, 4, None},
    {"waitpkg", L7, ECX, 5, None},
    {"avx512vbmi2", L7, ECX, 6, Avx512},
    {"shstk", L7, ECX, 7, None},
    {"gfni", L7, ECX, 8, None},
    {"vaes", L7, ECX, 9, Avx},
    {"vpclmulqdq", L7, ECX, 10, Avx},
    {"avx512vnni", L7, ECX, 11, Avx512},
    {"avx512bitalg", L7, ECX, 12, Avx512},
    {"avx512vpopcntdq", L7, ECX, 14, Avx512},
    {"rdpid", L7, ECX, 22, None},
    {"kl", L7, ECX, 23, None},
    {"cldemote", L7, ECX, 25, None},
    {"movdiri", L7, ECX, 27, None},
    {"movdir64b", L7, ECX, 28, None},
    {"enqcmd", L7, ECX, 29, None},

    {"uintr", L7, EDX, 5, None},
    {"avx512vp2intersect", L7, EDX, 8, Avx512},
    {"serialize", L7, EDX, 14, None},
    {"tsxldtrk", L7, EDX, 16, None},
    {"pconfig", L7, EDX, 18, None},
    {"amx-bf16", L7, EDX, 22, Amx},
    {"avx512fp16", L7, EDX, 23, Avx512},
    {"amx-tile", L7, EDX, 24, Amx},
    {"amx-int8", L7, EDX, 25, Amx},

    {"sha512", L7S1, EAX, 0, None},
    {"sm3", L7S1, EAX, 1, None},
    {"sm4", L7S1, EAX, 2, None},
    {"raoint", L7S1, EAX, 3, None},
    {"avxvnni", L7S1, EAX, 4, Avx},
    {"avx512bf16", L7S1, EAX, 5, Avx512},
    {"cmpccxadd", L7S1, EAX, 7, None},
    {"amx-fp16", L7S1, EAX, 21, Amx},
    {"hreset", L7S1, EAX, 22, None},
    {"avxifma", L7S1, EAX, 23, Avx},
    {"movrs", L7S1, EAX, 31, None},
    {"avxvnniint8", L7S1, EDX, 4, Avx},
    {"avxneconvert", L7S1, EDX, 5, Avx},
    {"amx-complex", L7S1, EDX, 8, Amx},
    {"avxvnniint16", L7S1, EDX, 10, Avx},
    {"prefetchi", L7S1, EDX, 14, None},
    {"usermsr", L7S1, EDX, 15, None},
    // APX: one bit for all of its parts.
    {"egpr", L7S1, EDX, 21, None},
    {"push2pop2", L7S1, EDX, 21, None},
    {"ppx", L7S1, EDX, 21, None},
    {"ndd", L7S1, EDX, 21, None},
    {"ccmp", L7S1, EDX, 21, None},
    {"nf", L7S1, EDX, 21, None},
    {"cf", L7S1, EDX, 21, None},
    {"zu", L7S1, EDX, 21, None},

    {"xsaveopt", LD1, EAX, 0, Avx},
    {"xsavec", LD1, EAX, 1, Avx},
    {"xsaves", LD1, EAX, 3, Avx},
    {"ptwrite", L14, EBX, 4, None},
    {"widekl", L19, EBX, 2, None},
    {"amx-fp8", L1E1, EAX, 4, Amx},
    {"amx-tf32", L1E1, EAX, 6, Amx},
    {"amx-avx512", L1E1, EAX, 7, Amx},
    {"amx-movrs", L1E1, EAX, 8, Amx},
};

struct HostCpu {
  uint32_t regs[kLeaves][4] = {};
  bool saves[4] = {true, false, false, false}; // indexed by Save
  int avx10Version = 0;

  HostCpu() {
    unsigned maxLevel = __get_cpuid_max(0, nullptr);
    unsigned maxExt = __get_cpuid_max(0x80000000, nullptr);
    auto query = [&](Leaf leaf, unsigned id, unsigned sub, bool available) {
      uint32_t *r = regs[leaf];
      if (available)
        __cpuid_count(id, sub, r[EAX], r[EBX], r[ECX], r[EDX]);
    };
    query(L1, 1, 0, maxLevel >= 1);
    query(L7, 7, 0, maxLevel >= 7);
    // Subleaf 1 exists if subleaf 0 says so in EAX.
    query(L7S1, 7, 1, maxLevel >= 7 && regs[L7][EAX] >= 1);
    query(LD1, 0xD, 1, maxLevel >= 0xD);
    query(L14, 0x14, 0, maxLevel >= 0x14);
    query(L19, 0x19, 0, maxLevel >= 0x19);
    query(L1E1, 0x1E, 1, maxLevel >= 0x1E);
    query(Ext1, 0x80000001, 0, maxExt >= 0x80000001);
    query(Ext8, 0x80000008, 0, maxExt >= 0x80000008);

    // OSXSAVE: XGETBV is usable and XCR0 says which register states the OS
    // saves on context switches.
    if ((regs[L1][ECX] >> 27) & 1) {
      uint32_t xcr0Low, xcr0High;
      __asm__("xgetbv" : "=a"(xcr0Low), "=d"(xcr0High) : "c"(0));
      saves[Avx] = (xcr0Low & 0x6) == 0x6;                    // SSE, AVX
      saves[Avx512] = saves[Avx] && (xcr0Low & 0xE0) == 0xE0; // opmask, ZMM
      const uint32_t amxBits = (1u << 17) | (1u << 18); // XTILECFG, XTILEDATA
      saves[Amx] = (xcr0Low & amxBits) == amxBits;
    }

    if ((regs[L7S1][EDX] >> 19) & 1 && maxLevel >= 0x24) {
      uint32_t a, b, c, d;
      __cpuid_count(0x24, 0, a, b, c, d);
      avx10Version = b & 0xFF;
    }
  }
};

const HostCpu &hostCpu() {
  static const HostCpu cpu;
  return cpu;
}

} // namespace

std::optional<bool> xgenmm::runtime::hostHasCpuFeature(std::string_view name) {
  const HostCpu &cpu = hostCpu();
  if (name == "avx10.1")
    return cpu.avx10Version >= 1;
  if (name == "avx10.2")
    return cpu.avx10Version >= 2;
  for (const Feature &f : kFeatures)
    if (name == f.name)
      return ((cpu.regs[f.leaf][f.reg] >> f.bit) & 1) && cpu.saves[f.save];
  return std::nullopt;
}

#else

std::optional<bool> xgenmm::runtime::hostHasCpuFeature(std::string_view) {
  return std::nullopt;
}

#endif
