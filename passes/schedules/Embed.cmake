# Writes the text of INPUT as a C++ raw string literal named NAME into
# OUTPUT (run with cmake -P at build time): the schedules are part of the
# binaries, and xgenmm-compile never reads source files at run time.
file(READ "${INPUT}" text)
string(FIND "${text}" ")xgenmm_schedule\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw-string delimiter")
endif()
file(WRITE "${OUTPUT}.tmp"
  "// Generated from ${INPUT} by passes/schedules/Embed.cmake; do not edit.\n"
  "static const char ${NAME}[] = R\"xgenmm_schedule(${text})xgenmm_schedule\";\n")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUTPUT}.tmp" "${OUTPUT}")
file(REMOVE "${OUTPUT}.tmp")
