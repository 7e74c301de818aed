# Persistence: write-ahead log records as start-up replays them; ctest
# replays the checked-in corpus (fuzz-replay).
emu_fuzz_target(persist_log tests/fuzz/fuzz_persist_log.c LIBS emu_persist emu_odps emu_ots emu_world emu_core)
target_include_directories(replay_persist_log PRIVATE emulator/persist)
if(EMU_FUZZ)
  target_include_directories(fuzz_persist_log PRIVATE emulator/persist)
endif()
