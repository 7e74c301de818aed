# auth: canonicalisation and signature checks per protocol (sig_*.c, pure:
# core only); AccessKey and STS-token lookup (auth_*.c) joins here later.
add_library(emu_auth STATIC
  emulator/auth/sig_pct.c emulator/auth/sig_rpc.c emulator/auth/sig_ots.c
  emulator/auth/sig_odps.c)
target_include_directories(emu_auth PUBLIC include PRIVATE emulator/auth)
target_link_libraries(emu_auth PUBLIC emu_core PRIVATE emu_warnings)
