# MaxCompute fuzz harnesses: the SQL subset parser (+ DDL validation) and
# the XML readers (+ the client PlainBuffer decoder). ctest replays the
# checked-in corpora (fuzz-replay).
emu_fuzz_target(odps_sql tests/fuzz/fuzz_odps_sql.c LIBS emu_odps emu_dispatch emu_core)
emu_fuzz_target(odps_xml tests/fuzz/fuzz_odps_xml.c LIBS emu_odps emu_dispatch emu_core)
foreach(t odps_sql odps_xml)
  target_include_directories(replay_${t} PRIVATE emulator/odps)
  if(EMU_FUZZ)
    target_include_directories(fuzz_${t} PRIVATE emulator/odps)
  endif()
endforeach()
