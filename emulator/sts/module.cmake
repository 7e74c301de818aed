# STS 2015-04-01: the service and GetCallerIdentity (sts_service.c),
# AssumeRole (sts_assume.c) and its pure parameter checks (sts_params.c),
# AssumeRoleWithOIDC (sts_oidc.c, with the fed module's tokens and providers).
add_library(emu_sts STATIC emulator/sts/sts_service.c emulator/sts/sts_assume.c
                           emulator/sts/sts_params.c emulator/sts/sts_oidc.c
                           emulator/sts/sts_saml.c)
target_include_directories(emu_sts PUBLIC include PRIVATE emulator/sts)
target_link_libraries(emu_sts PUBLIC emu_dispatch emu_policy emu_fed PRIVATE emu_warnings)
