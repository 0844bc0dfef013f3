# Runs xgenmm-run on a fixture's golden inputs (see CMakeLists.txt).
file(MAKE_DIRECTORY ${WORK})
execute_process(COMMAND ${PYTHON} ${SCRIPT} ${FIXTURE} ${WORK}/pixels.safetensors
                OUTPUT_VARIABLE ids OUTPUT_STRIP_TRAILING_WHITESPACE
                COMMAND_ERROR_IS_FATAL ANY)
set(threads "")
if(DEFINED THREADS)
  set(threads --threads ${THREADS})
endif()
execute_process(COMMAND ${RUN} -m ${ARTIFACT} --input-ids ${ids}
                        --pixel-values ${WORK}/pixels.safetensors
                        --max-tokens 32 --stop 0 --print-ids ${threads}
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "xgenmm-run failed: ${rc}")
endif()
