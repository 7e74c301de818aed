# RAM 2015-05-01: one file per resource (STYLE.md §1), the action table in
# ram_actions.def and the error table in ram_errors.def.
add_library(emu_ram STATIC
  emulator/ram/ram_service.c emulator/ram/ram_common.c emulator/ram/ram_user.c
  emulator/ram/ram_access_key.c emulator/ram/ram_group.c emulator/ram/ram_role.c
  emulator/ram/ram_policy.c emulator/ram/ram_attach.c emulator/ram/ram_diagnostic.c
  emulator/ram/ram_tag.c)
target_include_directories(emu_ram PUBLIC include PRIVATE emulator/ram)
target_link_libraries(emu_ram PUBLIC emu_dispatch emu_policy PRIVATE emu_warnings)
