# benchmarks/gpu/device-check.sh and prepare-device-bundle.sh where there is
# no GPU: both parse (bash -n), and the device check stops at its first
# step with exit status 2 and a message, having written its results file.
# On a GPU machine this test has nothing to check.
foreach(script device-check.sh prepare-device-bundle.sh)
  execute_process(COMMAND bash -n ${SOURCE}/benchmarks/gpu/${script} RESULT_VARIABLE rc
                  ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "benchmarks/gpu/${script} does not parse:\n${err}")
  endif()
endforeach()
find_program(NVIDIA_SMI nvidia-smi)
if(NVIDIA_SMI)
  message(STATUS "nvidia-smi is present: run the device check itself")
  return()
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E env OUT=${OUT} bash ${SOURCE}/benchmarks/gpu/device-check.sh
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 2)
  message(FATAL_ERROR "device-check.sh without a GPU: exit status ${rc}, expected 2:\n${out}${err}")
endif()
file(READ ${OUT}/gpu-results.txt results)
if(NOT results MATCHES "no nvidia-smi: not a GPU machine")
  message(FATAL_ERROR "device-check.sh without a GPU: unexpected results file:\n${results}")
endif()
message(STATUS "refused as expected:\n${results}")
