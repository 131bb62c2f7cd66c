# SPDX-License-Identifier: BSD-2-Clause
# hardening.cmake - hardening flags for the builds that get shipped.
#
# Optimised builds (RelWithDebInfo, the default, Release and MinSizeRel:
# what packages and docker/Dockerfile build) get
#
#   -fstack-protector-strong    a canary in every function with a local array
#                               or a local whose address is taken
#   -D_FORTIFY_SOURCE=2         glibc's checked memcpy/snprintf/read/...; it
#                               needs optimisation, hence not in Debug
#   -Wl,-z,relro,-z,now         full RELRO: every symbol is bound at start-up
#                               and the GOT is then made read-only
#   PIE                         executables are position independent (ASLR)
#                               like the libraries (CMAKE_POSITION_INDEPENDENT_CODE
#                               compiles with -fPIE; policy CMP0083 adds -pie)
#
# Debug, sanitizer (VMDNS_SANITIZE) and fuzzing (VMDNS_FUZZ) builds do not:
# the fortified functions bypass the sanitizers' interceptors, and those
# builds are never shipped. -DVMDNS_HARDEN=OFF turns it all off (e.g. when a
# distribution passes its own hardening flags). The ctest `hardening`
# (tests/check_hardening.sh) reads the built ELF files to prove it worked.

option(VMDNS_HARDEN "Hardening flags in optimised builds (stack protector, FORTIFY_SOURCE, RELRO, PIE)" ON)

set(VMDNS_HARDENED OFF)
if(VMDNS_HARDEN AND NOT VMDNS_SANITIZE AND NOT VMDNS_FUZZ
    AND CMAKE_BUILD_TYPE MATCHES "^(RelWithDebInfo|Release|MinSizeRel)$")
  set(VMDNS_HARDENED ON)
endif()

include(CheckPIESupported)
check_pie_supported(OUTPUT_VARIABLE _vmdns_pie_output LANGUAGES C)
if(NOT CMAKE_C_LINK_PIE_SUPPORTED)
  message(WARNING "the linker cannot make position independent executables: ${_vmdns_pie_output}")
  set(VMDNS_HARDENED OFF)
endif()

if(VMDNS_HARDENED)
  # -U first: a toolchain (Ubuntu's gcc) or CFLAGS may define it already,
  # and a redefinition is a warning, hence an error with VMDNS_WERROR.
  add_compile_options(-fstack-protector-strong -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2)
  add_link_options(-Wl,-z,relro,-z,now)
endif()
message(STATUS "vmdns: hardening flags ${VMDNS_HARDENED} (${CMAKE_BUILD_TYPE})")
