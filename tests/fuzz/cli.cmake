# Harnesses over the whole front: HTTP end to end, and the world loader.
emu_fuzz_target(http tests/fuzz/fuzz_http.c
                LIBS emu_ecs emu_admin emu_sts emu_ram emu_odps_svc emu_odps emu_ots_svc emu_ots emu_dispatch emu_net emu_world emu_core)
target_compile_definitions(replay_http PRIVATE EMU_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
if(TARGET fuzz_http)
  target_compile_definitions(fuzz_http PRIVATE EMU_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
endif()
emu_fuzz_target(world tests/fuzz/fuzz_world.c LIBS emu_ecs emu_rm emu_odps emu_ots emu_world emu_core)
# Offline replay of a decision bundle (a file users pass around).
emu_fuzz_target(replay tests/fuzz/fuzz_replay.c
                LIBS emu_admin emu_sts emu_ram emu_odps_svc emu_odps emu_ots_svc emu_ots emu_ecs emu_dispatch emu_net emu_world emu_core)
