// Entry point: MPI (and PETSc) start-up, then the command line in app.cc.
#include "app.h"

#include <deal.II/base/mpi.h>

#include <exception>
#include <iostream>

int main(int argc, char **argv)
{
  dealii::Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  try
    {
      return protonfem::run_application(argc, argv);
    }
  catch (const std::exception &e)
    {
      // Unexpected errors may be local to one rank: abort the whole job
      // rather than leave the others waiting in a collective call.
      std::cerr << "protonfem: internal error: " << e.what() << std::endl;
      MPI_Abort(MPI_COMM_WORLD, 4);
    }
  return 4;
}
