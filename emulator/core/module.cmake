add_library(emu_core STATIC
  emulator/core/core_arena.c emulator/core/core_buf.c emulator/core/core_clock.c
  emulator/core/core_crc8.c emulator/core/core_crc32c.c emulator/core/core_crypto.c emulator/core/core_err.c
  emulator/core/core_fbs.c emulator/core/core_fs.c
  emulator/core/core_json.c emulator/core/core_log.c emulator/core/core_str.c)
target_include_directories(emu_core PUBLIC include)
target_link_libraries(emu_core PUBLIC PkgConfig::CJSON OpenSSL::Crypto ${UNISTRING_LIBRARY}
                               PRIVATE emu_warnings)
target_include_directories(emu_core SYSTEM PRIVATE ${UNISTRING_INCLUDE_DIR})
