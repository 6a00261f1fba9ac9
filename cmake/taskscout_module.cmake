# taskscout_module(<name> [TORCH] DEPS ...): the static library taskscout_<name> built from
# src/<name>/*.cpp ("core/torch" gives taskscout_core_torch). Modules that use libtorch
# (TORCH) reuse one precompiled header, built once, so no translation unit re-parses
# ATen (~40 s each here).
# Every module is installed and exported (taskscoutTargets): find_package(taskscout) gives
# taskscout::taskscout, which links them all.
set_property(GLOBAL PROPERTY TASKSCOUT_MODULES "")
function(taskscout_module name)
  cmake_parse_arguments(M "TORCH" "" "DEPS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/${name}/*.cpp)
  string(REPLACE "/" "_" name ${name})
  set_property(GLOBAL APPEND PROPERTY TASKSCOUT_MODULES taskscout_${name})
  if(NOT sources)
    # A layer whose first source is not written yet: headers only, so the tree configures.
    add_library(taskscout_${name} INTERFACE)
    target_include_directories(taskscout_${name} INTERFACE $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
                               $<INSTALL_INTERFACE:include>)
    target_link_libraries(taskscout_${name} INTERFACE ${M_DEPS})
    return()
  endif()
  add_library(taskscout_${name} STATIC ${sources})
  if(TASKSCOUT_PYTHON)
    # Linked into the Python module, a shared object.
    set_target_properties(taskscout_${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  endif()
  target_include_directories(taskscout_${name} PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
                             $<INSTALL_INTERFACE:include>)
  target_link_libraries(taskscout_${name} PUBLIC ${M_DEPS})
  if(name STREQUAL "core")
    # The version, from project(): core/version.cpp returns it (the fuzz build makes core too).
    set_source_files_properties(${PROJECT_SOURCE_DIR}/src/core/version.cpp TARGET_DIRECTORY taskscout_core
                                PROPERTIES COMPILE_DEFINITIONS TASKSCOUT_VERSION="${PROJECT_VERSION}")
  endif()
  if(M_TORCH)
    target_link_libraries(taskscout_${name} PUBLIC torch OpenMP::OpenMP_CXX)  # see find_package(OpenMP)
    target_precompile_headers(taskscout_${name} REUSE_FROM taskscout_torch_pch)
  endif()
endfunction()
