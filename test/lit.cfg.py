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
    ["xgenmm-opt", "xgenmm-import", "xgenmm-compile"], [config.xgenmm_tools_dir, config.llvm_tools_dir])
