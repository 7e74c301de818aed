# auth: canonicalisation and signature checks per protocol (sig_*.c, pure:
# core only); principal resolution, STS session minting and the replay cache
# (auth_*.c, which read the world).
add_library(emu_auth STATIC
  emulator/auth/sig_pct.c emulator/auth/sig_rpc.c emulator/auth/sig_ots.c
  emulator/auth/sig_odps.c
  emulator/auth/auth_principal.c emulator/auth/auth_session.c emulator/auth/auth_nonce.c)
target_include_directories(emu_auth PUBLIC include PRIVATE emulator/auth)
target_link_libraries(emu_auth PUBLIC emu_world emu_core PRIVATE emu_warnings)
