// Boost.Test driver: MPI (and PETSc) are initialised once for all unit tests,
// because the geometry tests build parallel (p4est / shared) meshes.
#define BOOST_TEST_MODULE protonfem unit tests
#define BOOST_TEST_DYN_LINK
#include <deal.II/base/mpi.h>

#include <boost/test/unit_test.hpp>

struct MpiFixture
{
  MpiFixture()
      : mpi(boost::unit_test::framework::master_test_suite().argc,
            boost::unit_test::framework::master_test_suite().argv, 1)
  {
  }
  dealii::Utilities::MPI::MPI_InitFinalize mpi;
};

BOOST_TEST_GLOBAL_FIXTURE(MpiFixture);
