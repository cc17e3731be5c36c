# Packaging.cmake - what `cmake --install` puts where, besides the executable
# and the Ansible/Salt glue (plugin/CMakeLists.txt and its subdirectories),
# and the CPack settings of the packages.
#
#   <prefix>/bin/ctune                          plugin/CMakeLists.txt
#   <prefix>/share/man/man1/ctune.1.gz          docs/ctune.1
#   <prefix>/share/ctune/schemas/*.json         schemas/
#   <prefix>/share/ctune/lenses/*.aug           lenses/ (src/CMakeLists.txt)
#   <prefix>/share/doc/ctune/                   facts.md, examples/, copyright,
#                                               changelog.gz, changelog.Debian.gz
#                                               (share/doc/ctune-static in the static flavour)
#   <prefix>/libexec/ctune/ctune-textfile       contrib/systemd: the metrics, atomically,
#   <prefix>/lib/systemd/system/ctune-textfile.{service,timer}   for node_exporter
#   <prefix>/share/ansible/..., share/ctune/... the glue, installed by plugin/
#   <prefix>/etc/ansible/facts.d/conntrack.fact plugin/ansible (/etc/... with the prefix /usr)
#
# Everything lands under the prefix of the installation, also when
# `cmake --install --prefix` or DESTDIR change it after configuring: no
# absolute destination, and the files that name installed paths are written
# at install time (cmake/PrefixInstall.cmake).  The one exception to "under
# the prefix" is the one the FHS makes: with the prefix /usr, configuration
# goes to /etc.
#
# Packages (Debian 12 .deb; for the static flavour .rpm, .tar.gz and .deb) are
# built with the prefix /usr, stripped, with the copyright file and the
# changelogs:
#   cmake -S . -B build-deb -DCMAKE_INSTALL_PREFIX=/usr -DBUILD_TESTING=OFF
#   cmake --build build-deb && (cd build-deb && cpack)   -> build-deb/ctune_<version>-<release>_<arch>.deb
# cpack refuses a build configured for another prefix: the executable names
# its lens directory by the configured prefix.  tests/package.test.sh builds
# one that way, checks it with dpkg-deb and runs the binary from an
# extracted scratch root; tests/lintian.test.sh runs lintian on it.
include(GNUInstallDirs)

# The Debian package's name - ctune, or ctune-static for the static
# flavour's .deb - and the documentation directory, named after it as Debian
# policy wants (/usr/share/doc/<package>).
if(CTUNE_STATIC)
  set(ctune_deb_name ctune-static)
else()
  set(ctune_deb_name ctune)
endif()
set(ctune_docdir ${CMAKE_INSTALL_DATAROOTDIR}/doc/${ctune_deb_name})

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
# Every page under docs/ (facts, migration from ansible.posix.sysctl,
# Prometheus...): the man page points at them by their installed path.
file(GLOB ctune_doc_pages ${PROJECT_SOURCE_DIR}/docs/*.md)
install(FILES ${ctune_doc_pages} DESTINATION ${ctune_docdir})

# Directories other work fills in: installed only once they exist (git keeps
# no empty directory), lens tests and test data left out.
if(EXISTS ${PROJECT_SOURCE_DIR}/lenses)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/lenses/ DESTINATION ${CMAKE_INSTALL_DATADIR}/ctune/lenses
          FILES_MATCHING PATTERN "*.aug" PATTERN "test_*" EXCLUDE PATTERN "tests" EXCLUDE)
endif()
if(EXISTS ${PROJECT_SOURCE_DIR}/examples)
  # Not what a run of the fleet example leaves behind, nor git's files.
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/examples/ DESTINATION ${ctune_docdir}/examples
          PATTERN ".gitignore" EXCLUDE PATTERN "facts-cache" EXCLUDE PATTERN "report.html" EXCLUDE)
endif()

# The copyright file (machine-readable, DEP-5) and the changelogs, compressed
# as Debian policy wants them (gzip -9n: no name, no time stamp).  The
# upstream changelog is packaging/changelog; packaging/changelog.Debian's top
# entry gives the packages' release (ctune_<version>-<release>).
install(FILES ${PROJECT_SOURCE_DIR}/packaging/copyright DESTINATION ${ctune_docdir})
if(CTUNE_STATIC)
  # The static executable carries Augeas (LGPL-2.1+): its license text goes
  # with it, for the hosts that have no /usr/share/common-licenses.
  install(FILES ${PROJECT_SOURCE_DIR}/packaging/LGPL-2.1 ${PROJECT_SOURCE_DIR}/LICENSE
          DESTINATION ${ctune_docdir})
endif()
set(ctune_changelogs "")
foreach(pair "changelog;changelog.gz" "changelog.Debian;changelog.Debian.gz")
  list(GET pair 0 in)
  list(GET pair 1 out)
  if(CTUNE_GZIP)
    add_custom_command(OUTPUT ${PROJECT_BINARY_DIR}/${out}
      COMMAND ${CTUNE_GZIP} -9 -n -c ${PROJECT_SOURCE_DIR}/packaging/${in} > ${PROJECT_BINARY_DIR}/${out}
      DEPENDS ${PROJECT_SOURCE_DIR}/packaging/${in}
      COMMENT "Compressing packaging/${in}"
      VERBATIM)
    list(APPEND ctune_changelogs ${PROJECT_BINARY_DIR}/${out})
  else()
    install(FILES ${PROJECT_SOURCE_DIR}/packaging/${in} DESTINATION ${ctune_docdir})
  endif()
endforeach()
if(ctune_changelogs)
  add_custom_target(ctune-changelogs ALL DEPENDS ${ctune_changelogs})
  install(FILES ${ctune_changelogs} DESTINATION ${ctune_docdir})
endif()
file(STRINGS ${PROJECT_SOURCE_DIR}/packaging/changelog.Debian ctune_deb_top LIMIT_COUNT 1)
if(NOT ctune_deb_top MATCHES "^ctune \\(([^-)]+)-([^)]+)\\)")
  message(FATAL_ERROR "packaging/changelog.Debian: the first line is not 'ctune (VERSION-RELEASE) ...'")
endif()
set(CTUNE_DEB_UPSTREAM ${CMAKE_MATCH_1})
set(CTUNE_DEB_RELEASE ${CMAKE_MATCH_2})
if(NOT CTUNE_DEB_UPSTREAM VERSION_EQUAL PROJECT_VERSION)
  message(WARNING "packaging/changelog.Debian's top entry is ${CTUNE_DEB_UPSTREAM}, the project ${PROJECT_VERSION}: add an entry before packaging (cpack refuses)")
endif()

# Lintian overrides, named after the Debian package.
install(FILES ${PROJECT_SOURCE_DIR}/packaging/lintian-overrides
        DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides RENAME ${ctune_deb_name})

# The node_exporter textfile timer (contrib/systemd): the helper that writes
# the metrics atomically, and the units, which name it by its installed path.
set(CTUNE_SYSTEMD_UNITDIR "lib/systemd/system" CACHE STRING
    "systemd system unit directory, relative to the prefix")
ctune_install_for_prefix(TEMPLATE contrib/systemd/ctune-textfile.in DIR prefix
                         SUBDIR ${CMAKE_INSTALL_LIBEXECDIR}/ctune NAME ctune-textfile PROGRAM)
ctune_install_for_prefix(TEMPLATE contrib/systemd/ctune-textfile.service.in DIR prefix
                         SUBDIR ${CTUNE_SYSTEMD_UNITDIR} NAME ctune-textfile.service)
install(FILES ${PROJECT_SOURCE_DIR}/contrib/systemd/ctune-textfile.timer DESTINATION ${CTUNE_SYSTEMD_UNITDIR})
# For the build tree (tests/systemd.test.sh): the same files for this
# build's executable, under <build>/contrib/systemd.
set(CTUNE_BIN "$<TARGET_FILE:ctune>")
set(CTUNE_LIBEXEC "${PROJECT_BINARY_DIR}/contrib/systemd")
foreach(f ctune-textfile ctune-textfile.service)
  configure_file(contrib/systemd/${f}.in ${PROJECT_BINARY_DIR}/contrib/systemd/${f}.build @ONLY)
endforeach()
file(GENERATE OUTPUT ${PROJECT_BINARY_DIR}/contrib/systemd/ctune-textfile
     INPUT ${PROJECT_BINARY_DIR}/contrib/systemd/ctune-textfile.build
     FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
file(GENERATE OUTPUT ${PROJECT_BINARY_DIR}/contrib/systemd/ctune-textfile.service
     INPUT ${PROJECT_BINARY_DIR}/contrib/systemd/ctune-textfile.service.build
     FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
configure_file(contrib/systemd/ctune-textfile.timer ${PROJECT_BINARY_DIR}/contrib/systemd/ctune-textfile.timer COPYONLY)

# ---- CPack: the .deb ----
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
set(CPACK_DEBIAN_PACKAGE_RELEASE ${CTUNE_DEB_RELEASE})
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://ctune.invalid/")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
# Packages install to /usr (configuration to /etc), whatever prefix a local
# `cmake --install` uses; stripped (install(TARGETS) strips with
# CMAKE_STRIP when CPack asks).
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# Every generator installs with the prefix /usr into a staging DESTDIR (the
# archive generators would otherwise install to the staging directory as the
# prefix, and the facts.d script and the service would name it).
set(CPACK_SET_DESTDIR ON)
set(CPACK_STRIP_FILES TRUE)
# Run by cpack before it packages: the executable names its lens directory
# by the prefix the build was configured for, so a package of a build
# configured for another prefix (the default /usr/local) would look for
# lenses where the package puts none; and the Debian changelog must have an
# entry for this version.
set(CPACK_PROJECT_CONFIG_FILE ${PROJECT_BINARY_DIR}/CPackProjectConfig.cmake)
file(WRITE ${CPACK_PROJECT_CONFIG_FILE} "
if(NOT \"${CMAKE_INSTALL_PREFIX}\" STREQUAL \"/usr\")
  message(FATAL_ERROR \"packages are built with the prefix /usr: configure with -DCMAKE_INSTALL_PREFIX=/usr (this build has ${CMAKE_INSTALL_PREFIX})\")
endif()
if(NOT \"${CTUNE_DEB_UPSTREAM}\" VERSION_EQUAL \"${PROJECT_VERSION}\")
  message(FATAL_ERROR \"packaging/changelog.Debian has no entry for ${PROJECT_VERSION} (its top entry is ${CTUNE_DEB_UPSTREAM})\")
endif()
")

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

# ---- the static flavour (cmake/Static.cmake): an .rpm, a .tar.gz, a .deb ----
# For the hosts of a fleet that are not Debian 12 (CentOS/RHEL above all):
# they carry the static executable, which needs nothing from the host, so
# the .rpm requires nothing (no automatic requirements either) and owns no
# directory another package owns.  `cpack` in a static build directory
# configured with -DCMAKE_INSTALL_PREFIX=/usr (scripts/bootstrap static does)
# makes them, and a .deb named ctune-static that depends on nothing and
# takes the place of the dynamic package (Provides/Conflicts/Replaces ctune).
if(CTUNE_STATIC)
  set(CPACK_GENERATOR RPM TGZ DEB)
  set(CPACK_DEBIAN_PACKAGE_NAME ${ctune_deb_name})
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS OFF)
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "")
  set(CPACK_DEBIAN_PACKAGE_PROVIDES ctune)
  set(CPACK_DEBIAN_PACKAGE_CONFLICTS ctune)
  set(CPACK_DEBIAN_PACKAGE_REPLACES ctune)
  set(CPACK_RPM_FILE_NAME RPM-DEFAULT)
  set(CPACK_RPM_PACKAGE_ARCHITECTURE x86_64)
  set(CPACK_RPM_PACKAGE_RELEASE 1)
  set(CPACK_RPM_PACKAGE_GROUP "Applications/System")
  set(CPACK_RPM_PACKAGE_DESCRIPTION "${CPACK_DEBIAN_PACKAGE_DESCRIPTION}\n\nThis package carries the fully static build (musl, with jansson, Augeas\nand its lenses inside): it runs on any x86_64 Linux.")
  string(APPEND CPACK_DEBIAN_PACKAGE_DESCRIPTION "\n.\nThis package carries the fully static build (musl, with jansson, Augeas\nand its lenses inside): it needs nothing from the host.")
  set(CPACK_RPM_PACKAGE_AUTOREQPROV OFF)
  set(CPACK_PACKAGE_RELOCATABLE OFF)
  set(CPACK_RPM_PACKAGE_REQUIRES "")
  set(CPACK_RPM_EXCLUDE_FROM_AUTO_FILELIST_ADDITION
      /etc/ansible /etc/ansible/facts.d /usr/share/ansible /usr/share/ansible/plugins
      /usr/share/ansible/plugins/modules /usr/share/doc /usr/share/man /usr/share/man/man1
      /usr/libexec /usr/lib /usr/lib/systemd /usr/lib/systemd/system /usr/share/lintian
      /usr/share/lintian/overrides)
  set(CPACK_RPM_USER_FILELIST "%config(noreplace) ${CMAKE_INSTALL_FULL_SYSCONFDIR}/ansible/facts.d/conntrack.fact")
  # The executable goes in as built and tested: no rpmbuild strip or
  # build-id rewriting (it is stripped at link time already).
  # MD5 file digests and a gzip payload: the rpm of CentOS 5 (4.4) knows
  # nothing newer; rpm 4.18's SHA-256 digests would add a requirement
  # rpmlib(FileDigests) that no rpm before 4.6 (CentOS 6) satisfies.
  set(CPACK_RPM_SPEC_MORE_DEFINE "%define __os_install_post %{nil}\n%define debug_package %{nil}\n%define _binary_filedigest_algorithm 1\n%define _source_filedigest_algorithm 1\n%define _binary_payload w9.gzdio")
  # ctune-<version>-static-x86_64.tar.gz: the tree under / (usr/... and
  # etc/ansible/facts.d), in a top directory of that name.
  set(CPACK_PACKAGE_FILE_NAME "${CPACK_PACKAGE_NAME}-${PROJECT_VERSION}-static-x86_64")
endif()

include(CPack)
