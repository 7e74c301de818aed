add_executable(acsemu emulator/cli/main.c emulator/cli/cli_options.c emulator/cli/cli_sql.c
                      emulator/cli/cli_simulate.c emulator/cli/cli_replay.c emulator/cli/cli_world.c)
target_include_directories(acsemu PRIVATE emulator/cli)
include(GNUInstallDirs)
target_compile_definitions(acsemu PRIVATE ACSEMU_VERSION="${PROJECT_VERSION}"
                                          ACSEMU_DATADIR="${CMAKE_INSTALL_FULL_DATADIR}/acsemu")
target_link_libraries(acsemu PRIVATE emu_persist emu_ecs emu_admin emu_sts emu_ims emu_fed emu_ram emu_rm emu_odps_svc emu_odps emu_ots_svc emu_ots emu_dispatch emu_net
                                     emu_world emu_core emu_warnings)
