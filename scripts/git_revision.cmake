# Writes OUTPUT with the git revision of SOURCE_DIR (short hash, "+" when
# tracked files differ from it), at every build, but touches the file only
# when the revision changed: the version string names the commit that was
# built, not the one CMake was configured at (only solver/version.cc
# recompiles). Run by the protonfem_git_revision target (CMakeLists.txt).
execute_process(COMMAND git rev-parse --short HEAD
  WORKING_DIRECTORY ${SOURCE_DIR} OUTPUT_VARIABLE revision
  OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE failed)
if(failed OR NOT revision)
  set(revision "unknown")
else()
  execute_process(COMMAND git diff --quiet HEAD --
    WORKING_DIRECTORY ${SOURCE_DIR} RESULT_VARIABLE dirty ERROR_QUIET)
  if(dirty)
    set(revision "${revision}+")
  endif()
endif()
set(text "#define PROTONFEM_GIT_REVISION \"${revision}\"\n")
if(EXISTS ${OUTPUT})
  file(READ ${OUTPUT} old)
endif()
if(NOT "${old}" STREQUAL "${text}")
  file(WRITE ${OUTPUT} "${text}")
endif()
