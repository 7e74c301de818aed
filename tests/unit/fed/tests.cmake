# fed: JWT decoding, keys (sign, verify, JWKS round trip) and the OIDC
# providers' field checks.
emu_unit_test(test_fed SOURCES tests/unit/fed/test_fed.c LIBS emu_fed emu_world emu_core)
