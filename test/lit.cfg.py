# lit configuration of the xgenmm test suite.
import os
import sys

import lit.formats
from lit.llvm import llvm_config

config.name = "xgenmm"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.xgenmm_obj_root, "test")
# Python reference and committed fixtures are inputs, not tests.
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "reference", "fixtures",
                   "Inputs"]

config.substitutions.append(("%xgenmm_src_root", config.xgenmm_src_root))
config.substitutions.append(
    ("%fixtures", os.path.join(config.xgenmm_src_root, "test", "fixtures")))
# Error tests make corrupted checkpoints with the standard library only.
config.substitutions.append(("%python", sys.executable))

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.add_tool_substitutions(
    ["xgenmm-opt", "xgenmm-import", "xgenmm-compile", "xgenmm-run", "xgenmm-synth-weights"],
    [config.xgenmm_tools_dir, config.llvm_tools_dir])

# Tests that execute generated code need the CPU features the code uses.
try:
    with open("/proc/cpuinfo") as f:
        cpuinfo = f.read()
except OSError:
    cpuinfo = ""
if " avx512_vnni" in cpuinfo and " avx512bw" in cpuinfo:
    config.available_features.add("avx512vnni")
if " avx512_bf16" in cpuinfo:
    config.available_features.add("avx512bf16")
# mlir-runner's support libraries (printing) and the OpenMP runtime the CPU
# pipeline's parallel loops call.
llvm_lib_dir = os.path.join(os.path.dirname(config.llvm_tools_dir), "lib")
config.substitutions.append(("%mlir_runner_libs", ",".join(
    os.path.join(llvm_lib_dir, lib) for lib in
    ["libmlir_runner_utils.so", "libmlir_c_runner_utils.so", "libomp.so"])))
# A Python with numpy, for the SIMT emulator of the GPU kernels
# (test/gpu/Inputs/simt_emulator.py): lit's own interpreter, else the
# python3 on PATH (e.g. pyenv's, where pip put numpy). Without one those
# tests are unsupported.
import shutil
import subprocess
for candidate in [sys.executable, shutil.which("python3")]:
    if candidate and subprocess.run([candidate, "-c", "import numpy"],
                                    capture_output=True).returncode == 0:
        config.available_features.add("numpy")
        config.substitutions.append(("%numpy_python", candidate))
        break
# ptxas (CUDA toolkit) turns PTX into cubins: GPU tests of format=bin|fatbin.
import shutil
if shutil.which("ptxas") or os.path.exists(
        os.path.join(os.environ.get("CUDA_ROOT", "/usr/local/cuda"), "bin", "ptxas")):
    config.available_features.add("ptxas")
