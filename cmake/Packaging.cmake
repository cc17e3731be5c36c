# Packaging.cmake - what `cmake --install` puts where, besides the executable
# and the Ansible/Salt glue (plugin/CMakeLists.txt and its subdirectories),
# and the CPack settings of the Debian package.
#
#   <prefix>/bin/ctune                          plugin/CMakeLists.txt
#   <prefix>/share/man/man1/ctune.1.gz          docs/ctune.1
#   <prefix>/share/ctune/schemas/*.json         schemas/
#   <prefix>/share/ctune/lenses/*.aug           lenses/ (when it holds lenses)
#   <prefix>/share/doc/ctune/facts.md           docs/facts.md (+ examples/)
#   <prefix>/share/ansible/..., share/ctune/... the glue, installed by plugin/
#
# The .deb (Debian 12): configure with -DCMAKE_INSTALL_PREFIX=/usr so that
# GNUInstallDirs puts configuration under /etc, then
#   cmake --build BUILD && (cd BUILD && cpack)        -> BUILD/ctune_<version>_<arch>.deb
# tests/package.test.sh builds one that way, checks it with dpkg-deb and runs
# the binary from an extracted scratch root.
include(GNUInstallDirs)

# Man page, compressed as Debian wants it; the source stays plain roff for
# `man -l docs/ctune.1`.
find_program(CTUNE_GZIP gzip)
set(ctune_man ${PROJECT_SOURCE_DIR}/docs/ctune.1)
if(CTUNE_GZIP)
  add_custom_command(OUTPUT ${PROJECT_BINARY_DIR}/ctune.1.gz
    COMMAND ${CTUNE_GZIP} -9 -n -c ${ctune_man} > ${PROJECT_BINARY_DIR}/ctune.1.gz
    DEPENDS ${ctune_man}
    COMMENT "Compressing the man page"
    VERBATIM)
  add_custom_target(ctune-man ALL DEPENDS ${PROJECT_BINARY_DIR}/ctune.1.gz)
  install(FILES ${PROJECT_BINARY_DIR}/ctune.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
else()
  install(FILES ${ctune_man} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endif()

install(DIRECTORY ${PROJECT_SOURCE_DIR}/schemas/ DESTINATION ${CMAKE_INSTALL_DATADIR}/ctune/schemas
        FILES_MATCHING PATTERN "*.json")
install(FILES ${PROJECT_SOURCE_DIR}/docs/facts.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

# Directories other work fills in: installed only once they exist (git keeps
# no empty directory), lens tests and test data left out.
if(EXISTS ${PROJECT_SOURCE_DIR}/lenses)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/lenses/ DESTINATION ${CMAKE_INSTALL_DATADIR}/ctune/lenses
          FILES_MATCHING PATTERN "*.aug" PATTERN "test_*" EXCLUDE PATTERN "tests" EXCLUDE)
endif()
if(EXISTS ${PROJECT_SOURCE_DIR}/examples)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/examples/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
endif()

# ---- CPack: one .deb ----
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ctune)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "ctune")
set(CPACK_PACKAGE_CONTACT "ctune maintainers <maintainers@ctune.invalid>")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "inspect and tune the Linux netfilter conntrack table")
# The long description under the summary line; one string (CPack joins a
# list with ';').
string(CONCAT CPACK_DEBIAN_PACKAGE_DESCRIPTION
       "ctune reports the connection-tracking table (count, max, usage, buckets,\n"
       "timeouts, statistics, table-full events in the kernel log, sizing advice,\n"
       "what the next boot applies) as JSON, as a report for people or as\n"
       "Prometheus metrics, and sets its tunables live and in sysctl files through\n"
       "Augeas, all or nothing, for both kernel naming schemes.  It is also an\n"
       "Ansible binary module and a JSON tool for Salt and scripts.")
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)

# Library dependencies from the binary itself (libc6: jansson is linked in
# statically, and ctnetlink goes through ctune's own netlink layer, so no
# libmnl0 or libnetfilter-conntrack3) when dpkg-shlibdeps is there; else
# Debian 12's names by hand.  libaugeas0
# is named by hand either way: ctune dlopen()s it for `set` (src/augeas-dl.h),
# so the binary does not name it; augeas-lenses holds the Sysctl and Modprobe
# lenses ctune loads at run time.
find_program(CTUNE_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(CTUNE_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "libaugeas0, augeas-lenses")
else()
  set(CPACK_DEBIAN_PACKAGE_DEPENDS
      "libc6, libaugeas0, augeas-lenses, libjansson4")
endif()
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "ansible-core, prometheus-node-exporter")

# Whatever the glue installs under /etc (the Ansible facts.d script) is a
# conffile, so an upgrade keeps a local change: the list is made from the
# staged tree just before dpkg-deb runs.
set(ctune_deb_extra ${PROJECT_BINARY_DIR}/cpack-deb)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${ctune_deb_extra}/conffiles)
file(WRITE ${ctune_deb_extra}/conffiles.cmake [=[
file(GLOB_RECURSE etc LIST_DIRECTORIES false RELATIVE "${CPACK_TEMPORARY_DIRECTORY}"
     "${CPACK_TEMPORARY_DIRECTORY}/etc/*")
list(SORT etc)
set(text "")
foreach(f IN LISTS etc)
  string(APPEND text "/${f}\n")
endforeach()
]=] "file(WRITE \"${ctune_deb_extra}/conffiles\" \"\${text}\")\n")
set(CPACK_PRE_BUILD_SCRIPTS ${ctune_deb_extra}/conffiles.cmake)

# ---- the static flavour (cmake/Static.cmake): an .rpm and a .tar.gz ----
# For the hosts of a fleet that are not Debian 12 (CentOS/RHEL above all):
# they carry the static executable, which needs nothing from the host, so
# the .rpm requires nothing (no automatic requirements either) and owns no
# directory another package owns.  `cpack` in a static build directory
# configured with -DCMAKE_INSTALL_PREFIX=/usr (scripts/bootstrap static does)
# makes both; `cpack -G DEB` still makes a .deb there if asked.
if(CTUNE_STATIC)
  set(CPACK_GENERATOR RPM TGZ)
  set(CPACK_RPM_FILE_NAME RPM-DEFAULT)
  set(CPACK_RPM_PACKAGE_ARCHITECTURE x86_64)
  set(CPACK_RPM_PACKAGE_RELEASE 1)
  set(CPACK_RPM_PACKAGE_GROUP "Applications/System")
  set(CPACK_RPM_PACKAGE_DESCRIPTION "${CPACK_DEBIAN_PACKAGE_DESCRIPTION}\n\nThis package carries the fully static build (musl, with jansson, Augeas\nand its lenses inside): it runs on any x86_64 Linux.")
  set(CPACK_RPM_PACKAGE_AUTOREQPROV OFF)
  set(CPACK_PACKAGE_RELOCATABLE OFF)
  set(CPACK_RPM_PACKAGE_REQUIRES "")
  set(CPACK_RPM_EXCLUDE_FROM_AUTO_FILELIST_ADDITION
      /etc/ansible /etc/ansible/facts.d /usr/share/ansible /usr/share/ansible/plugins
      /usr/share/ansible/plugins/modules /usr/share/doc /usr/share/man /usr/share/man/man1)
  set(CPACK_RPM_USER_FILELIST "%config(noreplace) ${CMAKE_INSTALL_FULL_SYSCONFDIR}/ansible/facts.d/conntrack.fact")
  # The executable goes in as built and tested: no rpmbuild strip or
  # build-id rewriting (it is stripped at link time already).
  # MD5 file digests and a gzip payload: the rpm of CentOS 5 (4.4) knows
  # nothing newer; rpm 4.18's SHA-256 digests would add a requirement
  # rpmlib(FileDigests) that no rpm before 4.6 (CentOS 6) satisfies.
  set(CPACK_RPM_SPEC_MORE_DEFINE "%define __os_install_post %{nil}\n%define debug_package %{nil}\n%define _binary_filedigest_algorithm 1\n%define _source_filedigest_algorithm 1\n%define _binary_payload w9.gzdio")
  # ctune-<version>-static-x86_64.tar.gz: the tree under the prefix (the
  # facts.d script, installed to an absolute /etc path, is left out).
  set(CPACK_PACKAGE_FILE_NAME "${CPACK_PACKAGE_NAME}-${PROJECT_VERSION}-static-x86_64")
endif()

include(CPack)
