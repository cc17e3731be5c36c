# PrefixInstall.cmake - files that name other installed paths (the facts.d
# script names the executable, the systemd service names the executable and
# the textfile helper), configured when they are INSTALLED rather than when
# the build is configured, so that they are right for the prefix actually
# installed to:
#
#   cmake --install build --prefix P     P/etc/ansible/facts.d/conntrack.fact runs P/bin/ctune
#   DESTDIR=D cmake --install build      D/<prefix>/...: DESTDIR only stages, the names stay <prefix>/...
#   cpack (prefix /usr)                  /etc/ansible/facts.d/conntrack.fact runs /usr/bin/ctune
#
# Where the configuration goes: <prefix>/etc, except that the prefix /usr
# keeps it in /etc (the Filesystem Hierarchy Standard, GNUInstallDirs' own
# special case, and what a package needs); an absolute
# CMAKE_INSTALL_SYSCONFDIR given at configure time wins.
#
# Two halves in one file:
#  - included from a CMakeLists.txt, it defines
#      ctune_install_for_prefix(TEMPLATE in DIR sysconf|prefix SUBDIR path NAME name [PROGRAM])
#    which adds an install(CODE) step;
#  - that step includes this file again with CTUNE_PFX_RUN set, at install
#    time, where CMAKE_INSTALL_PREFIX is the prefix of that installation.
# In the template, @CTUNE_BIN@, @CTUNE_LIBEXEC@ (<prefix>/libexec/ctune),
# @CTUNE_SYSCONFDIR@ and @CTUNE_PREFIX@ are replaced (configure_file @ONLY).

if(CTUNE_PFX_RUN)
  # --- install time ---
  set(CTUNE_PREFIX "${CMAKE_INSTALL_PREFIX}")
  string(REGEX REPLACE "/+$" "" CTUNE_PREFIX "${CTUNE_PREFIX}")
  if(IS_ABSOLUTE "${CTUNE_PFX_SYSCONFDIR}")
    set(CTUNE_SYSCONFDIR "${CTUNE_PFX_SYSCONFDIR}")
  elseif(CTUNE_PREFIX STREQUAL "/usr" OR CTUNE_PREFIX STREQUAL "")
    set(CTUNE_SYSCONFDIR "/${CTUNE_PFX_SYSCONFDIR}")
  else()
    set(CTUNE_SYSCONFDIR "${CTUNE_PREFIX}/${CTUNE_PFX_SYSCONFDIR}")
  endif()
  set(CTUNE_BIN "${CTUNE_PREFIX}/${CTUNE_PFX_BINDIR}/ctune")
  set(CTUNE_LIBEXEC "${CTUNE_PREFIX}/${CTUNE_PFX_LIBEXECDIR}/ctune")
  if(CTUNE_PFX_DIR STREQUAL "sysconf")
    set(dest "${CTUNE_SYSCONFDIR}/${CTUNE_PFX_SUBDIR}")
  else()
    set(dest "${CTUNE_PREFIX}/${CTUNE_PFX_SUBDIR}")
  endif()
  # Configured into a directory of its own in the build tree (the name is
  # the installed one: file(INSTALL) keeps it), then installed: file(INSTALL)
  # adds DESTDIR, prints the usual line and records it in the manifest.
  set(staged "${CTUNE_PFX_STAGE}/${CTUNE_PFX_NAME}")
  configure_file("${CTUNE_PFX_TEMPLATE}" "${staged}" @ONLY)
  if(CTUNE_PFX_PROGRAM)
    set(perms OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
  else()
    set(perms OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
  endif()
  file(INSTALL DESTINATION "${dest}" TYPE FILE PERMISSIONS ${perms} FILES "${staged}")
  return()
endif()

# --- configure time ---
include(GNUInstallDirs)
set(CTUNE_PFX_SELF ${CMAKE_CURRENT_LIST_FILE})
function(ctune_install_for_prefix)
  cmake_parse_arguments(arg "PROGRAM" "TEMPLATE;DIR;SUBDIR;NAME" "" ${ARGN})
  get_filename_component(template "${arg_TEMPLATE}" ABSOLUTE)
  set(stage "${CMAKE_CURRENT_BINARY_DIR}/prefix-install/${arg_NAME}.d")
  # The path of the sysconf directory as given (relative "etc" unless the
  # configure line made it absolute), not GNUInstallDirs' FULL one, which is
  # fixed to the configure-time prefix.
  set(program FALSE)
  if(arg_PROGRAM)
    set(program TRUE)
  endif()
  install(CODE "
set(CTUNE_PFX_RUN TRUE)
set(CTUNE_PFX_TEMPLATE \"${template}\")
set(CTUNE_PFX_DIR \"${arg_DIR}\")
set(CTUNE_PFX_SUBDIR \"${arg_SUBDIR}\")
set(CTUNE_PFX_NAME \"${arg_NAME}\")
set(CTUNE_PFX_STAGE \"${stage}\")
set(CTUNE_PFX_PROGRAM ${program})
set(CTUNE_PFX_SYSCONFDIR \"${CMAKE_INSTALL_SYSCONFDIR}\")
set(CTUNE_PFX_BINDIR \"${CMAKE_INSTALL_BINDIR}\")
set(CTUNE_PFX_LIBEXECDIR \"${CMAKE_INSTALL_LIBEXECDIR}\")
include(\"${CTUNE_PFX_SELF}\")
unset(CTUNE_PFX_RUN)
")
endfunction()
