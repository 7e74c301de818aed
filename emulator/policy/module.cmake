# policy: pure library (STYLE.md §2) — compiles RAM policy documents and
# evaluates them against a request context. Depends on core only.
#
# The System policy catalog (data/system-policies/*.json) is embedded at
# build time by the same script that embeds the console.
file(GLOB POLICY_SYSTEM_FILES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/data/system-policies/*.json)
list(SORT POLICY_SYSTEM_FILES)
set(POLICY_GEN_DIR ${CMAKE_BINARY_DIR}/emulator/policy/gen)
add_custom_command(
  OUTPUT ${POLICY_GEN_DIR}/policy_system_files.c
  COMMAND ${CMAKE_COMMAND} -E make_directory ${POLICY_GEN_DIR}
  COMMAND ${CMAKE_COMMAND} -DOUT=${POLICY_GEN_DIR}/policy_system_files.c
          "-DFILES=${POLICY_SYSTEM_FILES}" -DHEADER=policy_int.h -DTYPE=policy_embedded_file
          -DTABLE=policy_system_files -DCOUNT=policy_system_n_files
          -P ${CMAKE_SOURCE_DIR}/emulator/admin/console_embed.cmake
  DEPENDS ${POLICY_SYSTEM_FILES} ${CMAKE_SOURCE_DIR}/emulator/admin/console_embed.cmake
  COMMENT "embed System policy catalog"
  VERBATIM)

add_library(emu_policy STATIC
  emulator/policy/policy_parse.c emulator/policy/policy_match.c
  emulator/policy/policy_eval.c emulator/policy/policy_trace.c
  emulator/policy/policy_system.c emulator/policy/policy_inspect.c
  ${POLICY_GEN_DIR}/policy_system_files.c)
target_include_directories(emu_policy PUBLIC include PRIVATE emulator/policy)
target_link_libraries(emu_policy PUBLIC emu_core PRIVATE emu_warnings)
