# Install layout and the Debian package.
#
#   cmake --install BUILD --prefix /opt/acsemu     bin/acsemu, share/acsemu/ (the seed
#                                                 world), share/doc/acsemu/ (README, docs/)
#   cpack --config BUILD/CPackConfig.cmake         acsemu_<version>_<arch>.deb
#
# An installed acsemu finds its seed world beside itself
# (<prefix>/bin/../share/acsemu/world.json, cli_default_world), so it serves
# from PATH with no checkout around. Only the acsemu component is installed:
# test executables and libraries stay in the build tree.
include(GNUInstallDirs)
# Installing (and cpack) needs acsemu only, not every test executable of
# the build: build the acsemu target first (scripts/test-package does).
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

install(TARGETS acsemu RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT acsemu)
install(FILES data/world.json data/vehicle_track.csv
        DESTINATION ${CMAKE_INSTALL_DATADIR}/acsemu COMPONENT acsemu)
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT acsemu)
# docs/ keeps its place beside README.md, so the README's links work.
install(DIRECTORY docs DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT acsemu)

set(CPACK_PACKAGE_NAME acsemu)
set(CPACK_PACKAGE_VENDOR "acsemu")
set(CPACK_PACKAGE_CONTACT "acsemu maintainers <acsemu@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Local emulator of Alibaba Cloud RAM, STS, Tablestore and MaxCompute")
set(CPACK_PACKAGE_DESCRIPTION
    "acsemu serves RAM, STS, the Tablestore data plane and the MaxCompute subset of an\n\
external table over Tablestore on one local port, for tests and sandboxes. The\n\
official SDKs talk to it unmodified. It ships with a seed world of two accounts and\n\
a cross-account role.")
set(CPACK_GENERATOR DEB)
set(CPACK_COMPONENTS_ALL acsemu)
set(CPACK_DEB_COMPONENT_INSTALL OFF)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
# The runtime libraries as Debian 12 names them, with the versions the
# binary's symbols need (dpkg-shlibdeps reads them from the linked .so files).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
include(CPack)
