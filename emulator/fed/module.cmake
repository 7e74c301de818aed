# Federation: JWT decoding (fed_jwt.c, pure), RSA keys, JWKS and the test
# issuers' signing keys (fed_key.c, OpenSSL), and the "OIDCProviders" world
# section that IMS changes and STS reads (fed_oidc.c).
add_library(emu_fed STATIC emulator/fed/fed_jwt.c emulator/fed/fed_key.c emulator/fed/fed_oidc.c emulator/fed/fed_set.c
                           emulator/fed/fed_saml.c emulator/fed/fed_saml_providers.c)
target_include_directories(emu_fed PUBLIC include PRIVATE emulator/fed)
target_link_libraries(emu_fed PUBLIC emu_world emu_core PRIVATE emu_warnings m PkgConfig::LIBXML2)
