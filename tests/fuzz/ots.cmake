# Tablestore fuzz harnesses; ctest replays the checked-in corpora (fuzz-replay).
emu_fuzz_target(ots_plainbuffer tests/fuzz/fuzz_ots_plainbuffer.c LIBS emu_ots)
emu_fuzz_target(ots_pb tests/fuzz/fuzz_ots_pb.c LIBS emu_ots)
foreach(t ots_plainbuffer ots_pb)
  target_include_directories(replay_${t} PRIVATE emulator/ots)
  if(EMU_FUZZ)
    target_include_directories(fuzz_${t} PRIVATE emulator/ots)
  endif()
endforeach()

# The service behind a valid signature (handlers under hostile bodies).
emu_fuzz_target(ots_service tests/fuzz/fuzz_ots_service.c
                LIBS emu_ots_svc emu_ots emu_dispatch emu_net emu_world emu_core)
target_compile_definitions(replay_ots_service PRIVATE EMU_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
target_include_directories(replay_ots_service PRIVATE emulator/ots)
if(TARGET fuzz_ots_service)
  target_compile_definitions(fuzz_ots_service PRIVATE EMU_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
  target_include_directories(fuzz_ots_service PRIVATE emulator/ots)
endif()

# SQLQuery: the statement parser, the SELECT engine and the FlatBuffers
# answer (checked by reading it back).
emu_fuzz_target(ots_sql tests/fuzz/fuzz_ots_sql.c
                LIBS emu_ots_svc emu_ots emu_odps_sql emu_dispatch emu_net emu_world emu_core)
target_include_directories(replay_ots_sql PRIVATE emulator/ots)
if(TARGET fuzz_ots_sql)
  target_include_directories(fuzz_ots_sql PRIVATE emulator/ots)
endif()
