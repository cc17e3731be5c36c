# Static.cmake - the fully static flavour (-DCTUNE_STATIC=ON): the same
# src/ and plugin/ sources, compiled with musl-gcc and linked -static against
# the archives scripts/static-deps builds from Debian 12's source packages,
# so that one x86_64 executable runs on every host of a fleet whatever its
# libc (issue 13; scripts/bootstrap static).
#
# What differs from the dynamic build, and only here or behind CTUNE_STATIC:
#  - libaugeas is linked in: augeas-dl.c fills the same ctune_augeas table
#    from the linked functions instead of dlopen() (CTUNE_AUGEAS_STATIC);
#  - the lenses ctune uses are compiled into the executable
#    (cmake/EmbedLenses.cmake) and read from memory by the patched Augeas
#    when no directory of the load path has them: no /usr/share/augeas, no
#    temporary files;
#  - the kernel's UAPI headers come from static-deps' private copy
#    (-isystem), since musl-gcc sees none of /usr/include;
#  - every function in its own section, and --gc-sections, keep only what
#    ctune reaches (Augeas's XML output, and with it libxml2, goes); -s
#    strips the executable unless CTUNE_STATIC_STRIP is OFF.
#
# CTUNE_STATIC_DEPS names static-deps' prefix; when empty, configuring runs
# scripts/static-deps (which builds once per machine and caches).
set(CTUNE_STATIC_DEPS "" CACHE PATH "Prefix of scripts/static-deps' output (empty: run it)")
option(CTUNE_STATIC_STRIP "Strip the static executable (-s)" ON)

if(CTUNE_SANITIZE OR CTUNE_FUZZ)
  message(FATAL_ERROR "CTUNE_STATIC does not combine with CTUNE_SANITIZE or CTUNE_FUZZ (use the dynamic build)")
endif()
if(NOT CTUNE_STATIC_DEPS)
  execute_process(COMMAND ${PROJECT_SOURCE_DIR}/scripts/static-deps
                  OUTPUT_VARIABLE deps OUTPUT_STRIP_TRAILING_WHITESPACE
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "scripts/static-deps failed (${rc})")
  endif()
  set(CTUNE_STATIC_DEPS ${deps} CACHE PATH "Prefix of scripts/static-deps' output (empty: run it)" FORCE)
endif()
foreach(f lib/libaugeas.a lib/libfa.a lib/libjansson.a include/augeas.h include/jansson.h uapi/linux/netlink.h)
  if(NOT EXISTS ${CTUNE_STATIC_DEPS}/${f})
    message(FATAL_ERROR "${CTUNE_STATIC_DEPS} has no ${f}: not an output of scripts/static-deps")
  endif()
endforeach()
message(STATUS "Static dependencies: ${CTUNE_STATIC_DEPS}")

add_compile_options(-ffunction-sections -fdata-sections)
include_directories(SYSTEM ${CTUNE_STATIC_DEPS}/uapi)
add_link_options(-static -Wl,--gc-sections)
if(CTUNE_STATIC_STRIP)
  add_link_options(-s)
endif()

# What libctune and the executable link instead of the pkg-config modules.
add_library(ctune_static_deps INTERFACE)
target_include_directories(ctune_static_deps SYSTEM INTERFACE
  ${CTUNE_STATIC_DEPS}/include ${CTUNE_STATIC_DEPS}/include/libxml2)
target_link_libraries(ctune_static_deps INTERFACE
  ${CTUNE_STATIC_DEPS}/lib/libaugeas.a ${CTUNE_STATIC_DEPS}/lib/libfa.a
  ${CTUNE_STATIC_DEPS}/lib/libjansson.a)
target_compile_definitions(ctune_static_deps INTERFACE CTUNE_AUGEAS_STATIC)

# The lenses compiled in: the stock ones Sysctl and Modprobe need, from the
# pinned Augeas's own tree, and every lens of ctune's lenses/.  ctune's come
# first in the table, so one of theirs wins over a stock lens of the same name.
set(CTUNE_STATIC_AUGEAS_LENSES util sep simplevars rx sysctl build modprobe
    CACHE STRING "Augeas's stock lenses compiled into the static executable")
file(GLOB ctune_own_lenses CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/lenses/*.aug)
set(ctune_lens_files ${ctune_own_lenses})
foreach(lens ${CTUNE_STATIC_AUGEAS_LENSES})
  list(APPEND ctune_lens_files ${CTUNE_STATIC_DEPS}/share/augeas/lenses/${lens}.aug)
endforeach()
# ctune_embed_lenses(target): compile the table into target (called where
# the target is defined: a custom command's output belongs to its directory).
function(ctune_embed_lenses target)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/embedded-lenses.c)
  string(REPLACE ";" "|" lenses "${ctune_lens_files}") # one argument
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DOUTPUT=${out} -DLENSES=${lenses}
            -P ${PROJECT_SOURCE_DIR}/cmake/EmbedLenses.cmake
    DEPENDS ${ctune_lens_files} ${PROJECT_SOURCE_DIR}/cmake/EmbedLenses.cmake
    COMMENT "Compiling the Augeas lenses into ${target}"
    VERBATIM)
  target_sources(${target} PRIVATE ${out})
endfunction()
