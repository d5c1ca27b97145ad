# wrenFunctions.cmake: build a user's kernels for wren workers.
# Included by wrenConfig.cmake (after `find_package(wren)`); see docs/layers.md.
#
#   wren_add_kernel_library(NAME SOURCES src.c... [LIBS lib...] [PACKAGE])
#       Builds the kernels into libNAME.so, a module the worker loads at start
#       when _HANDLER is "libNAME.so" and the file sits in LAMBDA_TASK_ROOT
#       (docs/kernels.md). The module is linked against no wren library: the
#       symbols of wren/kernel.h (wren_kernel_register_at, wren_arg_*, ...)
#       resolve to the bootstrap executable that loads it, so there is one
#       kernel registry per process. LIBS are linked in (e.g. a BLAS).
#       PACKAGE also adds a target NAME_package writing NAME-function.zip: the
#       function package (libNAME.so at its root) to deploy beside the layer.
#
#   wren_add_bootstrap(NAME SOURCES src.c... [LIBS lib...] [LAYER])
#       Builds a worker of your own: wren's bootstrap (main, runtime, store and
#       built-in kernels) linked with your sources, so your WREN_KERNEL()s are
#       compiled in. Needs the bootstrap library (wren::bootstrap_main).
#       LAYER also adds a target NAME_layer writing NAME-layer.zip: a
#       self-contained layer like wren's own (loader and libraries included).
#
#   wren_add_layer(NAME EXECUTABLE target|path [OUTPUT zip] [EXTRA_LIBS lib...] [LEVEL 0-9])
#       Packages any worker executable as a self-contained layer zip. EXTRA_LIBS
#       (sonames or paths; default WREN_LAYER_EXTRA_LIBS, the shared OpenBLAS
#       and LAPACKE) ship for kernel modules loaded into the worker. LEVEL is
#       zip's compression level (default 9).

include_guard(GLOBAL)

if(NOT DEFINED WREN_LAYER_EXTRA_LIBS)
  set(WREN_LAYER_EXTRA_LIBS "libopenblas.so.0;liblapacke.so.3")
endif()

# Where package-layer.sh lives: the installed share/wren, or the source tree.
if(NOT WREN_PACKAGE_LAYER_SCRIPT)
  if(EXISTS "${CMAKE_CURRENT_LIST_DIR}/../layers/package-layer.sh")
    get_filename_component(WREN_PACKAGE_LAYER_SCRIPT "${CMAKE_CURRENT_LIST_DIR}/../layers/package-layer.sh" ABSOLUTE)
  endif()
endif()

function(wren_add_kernel_library name)
  cmake_parse_arguments(ARG "PACKAGE" "" "SOURCES;LIBS" ${ARGN})
  if(NOT ARG_SOURCES)
    set(ARG_SOURCES ${ARG_UNPARSED_ARGUMENTS})
  endif()
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "wren_add_kernel_library(${name}): no SOURCES")
  endif()
  # MODULE: a dlopen()ed plug-in, never linked against; named libNAME.so.
  add_library(${name} MODULE ${ARG_SOURCES})
  set_target_properties(${name} PROPERTIES PREFIX "lib" SUFFIX ".so" POSITION_INDEPENDENT_CODE ON)
  target_link_libraries(${name} PRIVATE wren::kernel_api ${ARG_LIBS})
  if(ARG_PACKAGE)
    set(zip ${CMAKE_CURRENT_BINARY_DIR}/${name}-function.zip)
    add_custom_command(OUTPUT ${zip}
      COMMAND ${CMAKE_COMMAND} -E rm -f ${zip}
      COMMAND ${CMAKE_COMMAND} -E tar cf ${zip} --format=zip -- $<TARGET_FILE_NAME:${name}>
      WORKING_DIRECTORY $<TARGET_FILE_DIR:${name}>
      DEPENDS ${name}
      COMMENT "Function package ${zip} (Handler: lib${name}.so)" VERBATIM)
    add_custom_target(${name}_package ALL DEPENDS ${zip})
  endif()
endfunction()

function(wren_add_layer name)
  cmake_parse_arguments(ARG "" "EXECUTABLE;OUTPUT;LEVEL" "EXTRA_LIBS" ${ARGN})
  if(NOT DEFINED ARG_LEVEL)
    set(ARG_LEVEL 9)
  endif()
  if(NOT ARG_EXECUTABLE)
    message(FATAL_ERROR "wren_add_layer(${name}): no EXECUTABLE")
  endif()
  if(NOT DEFINED ARG_EXTRA_LIBS)
    set(ARG_EXTRA_LIBS ${WREN_LAYER_EXTRA_LIBS})
  endif()
  set(extra)
  foreach(lib ${ARG_EXTRA_LIBS})
    list(APPEND extra --extra-lib ${lib})
  endforeach()
  if(NOT WREN_PACKAGE_LAYER_SCRIPT OR NOT EXISTS "${WREN_PACKAGE_LAYER_SCRIPT}")
    message(FATAL_ERROR "wren_add_layer(${name}): package-layer.sh not found (WREN_PACKAGE_LAYER_SCRIPT)")
  endif()
  if(NOT ARG_OUTPUT)
    set(ARG_OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/${name}.zip)
  endif()
  if(TARGET ${ARG_EXECUTABLE})
    set(exe $<TARGET_FILE:${ARG_EXECUTABLE}>)
  else()
    set(exe ${ARG_EXECUTABLE})
  endif()
  add_custom_command(OUTPUT ${ARG_OUTPUT}
    COMMAND ${WREN_PACKAGE_LAYER_SCRIPT} --bootstrap ${exe} --out ${ARG_OUTPUT}
      --stage ${CMAKE_CURRENT_BINARY_DIR}/${name}-stage --level ${ARG_LEVEL} ${extra}
    DEPENDS ${ARG_EXECUTABLE} ${WREN_PACKAGE_LAYER_SCRIPT}
    COMMENT "Lambda layer ${ARG_OUTPUT}" VERBATIM)
  add_custom_target(${name} DEPENDS ${ARG_OUTPUT})
endfunction()

function(wren_add_bootstrap name)
  cmake_parse_arguments(ARG "LAYER" "" "SOURCES;LIBS" ${ARGN})
  if(NOT ARG_SOURCES)
    set(ARG_SOURCES ${ARG_UNPARSED_ARGUMENTS})
  endif()
  if(NOT TARGET wren::bootstrap_main)
    message(FATAL_ERROR "wren_add_bootstrap(${name}): this wren has no bootstrap library "
      "(wren::bootstrap_main); build your kernels with wren_add_kernel_library() instead")
  endif()
  # The user's sources are compiled into the executable itself, so their
  # WREN_KERNEL() constructors are always linked (an archive member nobody
  # references would be dropped). ENABLE_EXPORTS lets libNAME.so modules
  # loaded through _HANDLER see the registry too.
  add_executable(${name} ${ARG_SOURCES})
  set_target_properties(${name} PROPERTIES ENABLE_EXPORTS ON)
  target_link_libraries(${name} PRIVATE wren::bootstrap_main ${ARG_LIBS})
  if(ARG_LAYER)
    wren_add_layer(${name}_layer EXECUTABLE ${name} OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/${name}-layer.zip)
  endif()
endfunction()
