# A fixture's whole GPU program executed by the SIMT emulator against the
# reference's goldens (test/gpu/Inputs/check_model_kernels.py): the IR of
# `xgenmm-gpu-pipeline` right after its kernel passes, with the weights.bin
# of the fixture's sm_80 artifact (same binding).
#   -DIMPORT=xgenmm-import -DOPT=xgenmm-opt -DPYTHON=<python with numpy>
#   -DSCRIPT=check_model_kernels.py -DFIXTURE=<dir> -DARTIFACT=<dir> -DOUT=<prefix>
execute_process(COMMAND ${IMPORT} ${FIXTURE} -q -o ${OUT}.mlir RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "xgenmm-import ${FIXTURE} failed (${rc})")
endif()
execute_process(
  COMMAND ${OPT} ${OUT}.mlir --xgenmm-gpu-pipeline=chip=sm_80 --mlir-print-op-generic
          --mlir-print-ir-after=xgenmm-gpu-map-loops -o ${OUT}.ptx.mlir
  ERROR_FILE ${OUT}.generic.mlir RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "xgenmm-opt --xgenmm-gpu-pipeline failed (${rc}): see ${OUT}.generic.mlir")
endif()
file(REMOVE ${OUT}.ptx.mlir)
execute_process(COMMAND ${PYTHON} ${SCRIPT} ${OUT}.generic.mlir ${ARTIFACT}/weights.bin ${FIXTURE} 3
                RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "the emulated GPU program does not match the goldens")
endif()
