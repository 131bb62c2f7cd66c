# SPDX-License-Identifier: BSD-2-Clause
# install.cmake - what `cmake --install` puts where, besides the programs
# and the library (installed next to their targets: vmdnsd in sbin/,
# vmdnsctl in bin/, libvmdns with its headers, pkg-config file and CMake
# package by src/libvmdns/CMakeLists.txt):
#
#   share/man/man8/vmdnsd.8, vmdnsctl.8   share/man/man5/vmdns.yaml.5
#   share/man/man1/vmssh.1
#   lib/systemd/system/vmdnsd.service     lib/sysusers.d/vmdns.conf
#   share/doc/vmdns/examples/             vmdns.yaml, Corefile, example.com.zone,
#                                         vmssh.yaml
#
# The unit and sysusers directories are relative to the prefix by default
# (so a staged or non-root install stays inside it); packagers set
# VMDNS_SYSTEMD_UNITDIR=/lib/systemd/system and so on.

set(VMDNS_SYSTEMD_UNITDIR "lib/systemd/system" CACHE PATH
  "Where vmdnsd.service goes (relative to the prefix unless absolute)")
set(VMDNS_SYSUSERSDIR "lib/sysusers.d" CACHE PATH
  "Where the sysusers.d entry for the vmdns user goes")

install(FILES ${PROJECT_SOURCE_DIR}/man/vmdnsd.8 ${PROJECT_SOURCE_DIR}/man/vmdnsctl.8
  DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
install(FILES ${PROJECT_SOURCE_DIR}/man/vmdns.yaml.5 DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)
install(FILES ${PROJECT_SOURCE_DIR}/man/vmssh.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

# The unit names the installed vmdnsd and config by absolute path: fill
# them in at install time, so `cmake --install --prefix P` is honoured.
install(CODE "
  set(_prefix \"\${CMAKE_INSTALL_PREFIX}\")
  if(IS_ABSOLUTE \"${CMAKE_INSTALL_SBINDIR}\")
    set(CMAKE_INSTALL_FULL_SBINDIR \"${CMAKE_INSTALL_SBINDIR}\")
  else()
    set(CMAKE_INSTALL_FULL_SBINDIR \"\${_prefix}/${CMAKE_INSTALL_SBINDIR}\")
  endif()
  if(IS_ABSOLUTE \"${CMAKE_INSTALL_SYSCONFDIR}\")
    set(CMAKE_INSTALL_FULL_SYSCONFDIR \"${CMAKE_INSTALL_SYSCONFDIR}\")
  elseif(_prefix STREQUAL \"/usr\" OR _prefix STREQUAL \"/\")
    set(CMAKE_INSTALL_FULL_SYSCONFDIR \"/etc\")
  else()
    set(CMAKE_INSTALL_FULL_SYSCONFDIR \"\${_prefix}/${CMAKE_INSTALL_SYSCONFDIR}\")
  endif()
  configure_file(\"${PROJECT_SOURCE_DIR}/packaging/vmdnsd.service.in\"
    \"${PROJECT_BINARY_DIR}/packaging/vmdnsd.service\" @ONLY)
")
install(FILES ${PROJECT_BINARY_DIR}/packaging/vmdnsd.service DESTINATION ${VMDNS_SYSTEMD_UNITDIR})
install(FILES ${PROJECT_SOURCE_DIR}/packaging/vmdns.sysusers DESTINATION ${VMDNS_SYSUSERSDIR}
  RENAME vmdns.conf)

install(FILES ${PROJECT_SOURCE_DIR}/config/vmdns.yaml ${PROJECT_SOURCE_DIR}/config/Corefile
  ${PROJECT_SOURCE_DIR}/config/example.com.zone ${PROJECT_SOURCE_DIR}/config/vmssh.yaml
  DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
