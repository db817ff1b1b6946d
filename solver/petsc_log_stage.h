#pragma once
// A named PETSc log stage for a phase of a run (the initial state, the time
// steps), so that `PETSC_OPTIONS=-log_view` reports the linear algebra of
// each phase apart: the nested equilibrium's small coarse meshes and the
// time steps' fine-mesh solves scale differently over ranks, and one
// all-run table mixes them (docs/performance.md, "Load balance: how p4est
// splits the stack"). Two stage changes per run, so no per-step cost.
#include <petscsys.h>

#include <string>

namespace protonfem
{
  class PetscLogStageScope
  {
  public:
    explicit PetscLogStageScope(const std::string &name)
    {
      // Register each name once per process: PETSc keeps its stage table.
      PetscLogStage stage = -1;
      PetscLogStageGetId(name.c_str(), &stage);
      if (stage < 0)
        PetscLogStageRegister(name.c_str(), &stage);
      PetscLogStagePush(stage);
    }
    ~PetscLogStageScope() { PetscLogStagePop(); }
    PetscLogStageScope(const PetscLogStageScope &)            = delete;
    PetscLogStageScope &operator=(const PetscLogStageScope &) = delete;
  };
} // namespace protonfem
