# Tablestore fuzz harnesses; ctest replays the checked-in corpora (fuzz-replay).
emu_fuzz_target(ots_plainbuffer tests/fuzz/fuzz_ots_plainbuffer.c LIBS emu_ots)
emu_fuzz_target(ots_pb tests/fuzz/fuzz_ots_pb.c LIBS emu_ots)
foreach(t ots_plainbuffer ots_pb)
  target_include_directories(replay_${t} PRIVATE emulator/ots)
  if(EMU_FUZZ)
    target_include_directories(fuzz_${t} PRIVATE emulator/ots)
  endif()
endforeach()
