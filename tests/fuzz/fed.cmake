# Fuzz harness of the federation decoders (emulator/fed): JWTs and JWKS.
emu_fuzz_target(jwt tests/fuzz/fuzz_jwt.c LIBS emu_fed)
# SAMLResponses and IdP metadata (XML signature verification, libxml2 C14N).
emu_fuzz_target(saml tests/fuzz/fuzz_saml.c LIBS emu_fed)
