# A GPU artifact from xgenmm-compile: its manifest names the chip, and its
# model.so embeds device code for that chip: with --gpu-format isa, PTX
# text with the dense layers' tensor-core instruction and no unresolved
# (libdevice) function; with fatbin, one fatbin per kernel module, each
# with its cubin.
#   cmake -DARTIFACT=<dir> -DCHIP=sm_XY -DFORMAT=isa|fatbin -P check_gpu_artifact.cmake
file(READ ${ARTIFACT}/manifest.json manifest)
string(JSON kind GET "${manifest}" target kind)
string(JSON chip GET "${manifest}" target chip)
string(JSON code GET "${manifest}" target device_code)
if(NOT kind STREQUAL "cuda" OR NOT chip STREQUAL CHIP OR NOT code STREQUAL FORMAT)
  message(FATAL_ERROR "${ARTIFACT}/manifest.json: target kind '${kind}', chip '${chip}', "
                      "device_code '${code}'; expected cuda, ${CHIP}, ${FORMAT}")
endif()
if(FORMAT STREQUAL "isa")
  file(STRINGS ${ARTIFACT}/model.so targets REGEX "^\\.target ${CHIP}$")
  file(STRINGS ${ARTIFACT}/model.so mma REGEX "mma\\.sync\\.aligned\\.m16n8k16\\.row\\.col\\.f32\\.bf16\\.bf16\\.f32")
  file(STRINGS ${ARTIFACT}/model.so externs REGEX "\\.extern \\.func")
  list(LENGTH targets ntargets)
  list(LENGTH mma nmma)
  if(ntargets EQUAL 0 OR nmma EQUAL 0 OR externs)
    message(FATAL_ERROR "${ARTIFACT}/model.so: ${ntargets} PTX modules for ${CHIP}, "
                        "${nmma} lines of bf16 mma.sync, unresolved functions: '${externs}'")
  endif()
  message(STATUS "${ntargets} PTX modules for ${CHIP}, ${nmma} lines of bf16 mma.sync, no extern function")
else()
  # Each kernel module a fatbin (magic 0xBA55ED50) holding its cubin, an
  # ELF image of its own (the host library's ELF header is one more).
  file(READ ${ARTIFACT}/model.so hex HEX)
  string(REGEX MATCHALL "50ed55ba" fatbins "${hex}")
  string(REGEX MATCHALL "7f454c46" elves "${hex}")
  list(LENGTH fatbins nfatbins)
  list(LENGTH elves nelves)
  math(EXPR ncubins "${nelves} - 1")
  if(nfatbins EQUAL 0 OR ncubins LESS nfatbins)
    message(FATAL_ERROR "${ARTIFACT}/model.so: ${nfatbins} fatbins, ${ncubins} cubins")
  endif()
  message(STATUS "${nfatbins} fatbins, ${ncubins} cubins embedded")
endif()
