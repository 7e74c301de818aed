add_library(emu_net STATIC emulator/net/net_http.c emulator/net/net_parser.c
                           emulator/net/net_tcp.c emulator/net/net_feed.c
                           emulator/net/net_tls.c emulator/net/net_tls_cert.c)
target_include_directories(emu_net PUBLIC include PRIVATE emulator/net)
target_link_libraries(emu_net PUBLIC emu_core PkgConfig::LIBUV llhttp OpenSSL::SSL
                      PRIVATE emu_warnings)
