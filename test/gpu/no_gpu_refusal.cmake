# xgenmm-run on a GPU artifact: with no NVIDIA driver it must exit non-zero
# naming the reason; with one (a GPU machine) this test has nothing to check.
if(EXISTS /dev/nvidiactl)
  message(STATUS "an NVIDIA device is present: the refusal path is not taken here")
  return()
endif()
execute_process(COMMAND ${RUN} -m ${ARTIFACT} --input-ids 1,2,3 --max-tokens 1
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0)
  message(FATAL_ERROR "xgenmm-run ran a GPU artifact without a GPU:\n${out}${err}")
endif()
if(NOT err MATCHES "compiled for an NVIDIA GPU \\(sm_80\\) and this machine cannot run it: cannot load the CUDA driver libcuda.so.1")
  message(FATAL_ERROR "unexpected message:\n${err}")
endif()
message(STATUS "refused as expected: ${err}")
