# The console's static files are embedded into the binary at build time
# (console_embed.cmake: file(READ ... HEX) → a C array); no npm, no CDN.
set(ADMIN_CONSOLE_FILES
  ${CMAKE_SOURCE_DIR}/emulator/admin/console/index.html
  ${CMAKE_SOURCE_DIR}/emulator/admin/console/console.css
  ${CMAKE_SOURCE_DIR}/emulator/admin/console/console.js)
set(ADMIN_GEN_DIR ${CMAKE_BINARY_DIR}/emulator/admin/gen)
add_custom_command(
  OUTPUT ${ADMIN_GEN_DIR}/console_assets.c
  COMMAND ${CMAKE_COMMAND} -E make_directory ${ADMIN_GEN_DIR}
  COMMAND ${CMAKE_COMMAND} -DOUT=${ADMIN_GEN_DIR}/console_assets.c
          "-DFILES=${ADMIN_CONSOLE_FILES}"
          -P ${CMAKE_SOURCE_DIR}/emulator/admin/console_embed.cmake
  DEPENDS ${ADMIN_CONSOLE_FILES} ${CMAKE_SOURCE_DIR}/emulator/admin/console_embed.cmake
  COMMENT "embed console assets"
  VERBATIM)

add_library(emu_admin STATIC emulator/admin/admin.c emulator/admin/admin_console.c
                             emulator/admin/admin_rows.c ${ADMIN_GEN_DIR}/console_assets.c
                             emulator/admin/admin_decisions.c emulator/admin/admin_simulate.c
                             emulator/admin/admin_coverage.c
                             emulator/admin/admin_faults.c
                             emulator/admin/admin_guard.c
                             emulator/admin/admin_oidc.c
                             emulator/admin/admin_saml.c
                             emulator/admin/admin_credentials.c)
target_include_directories(emu_admin PUBLIC include PRIVATE emulator/admin)
target_link_libraries(emu_admin PUBLIC emu_dispatch PRIVATE emu_ots emu_fed emu_warnings m)
