# persist: --data-dir (emu/persist.h): record framing and CRC-32C, the
# write-ahead log with group commit, snapshots in a forked child, start-up
# replay. It journals through dispatch's hook and the Tablestore store's
# journal, and reads the world it saves.
add_library(emu_persist STATIC
  emulator/persist/persist.c emulator/persist/persist_frame.c emulator/persist/persist_codec.c
  emulator/persist/persist_apply.c emulator/persist/persist_load.c
  emulator/persist/persist_snap.c)
target_include_directories(emu_persist PUBLIC include PRIVATE emulator/persist)
target_link_libraries(emu_persist PUBLIC emu_dispatch emu_ots PRIVATE emu_warnings)
