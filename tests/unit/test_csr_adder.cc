// CsrAdder (solver/csr_adder.h), which adds cell matrices straight into the
// rows of an assembled PETSc AIJ matrix, against the paths it replaces:
// MatSetValues per cell, and AffineConstraints::distribute_local_to_global
// for cells with DoFs fixed at zero (including the diagonal rules for a
// fixed row whose own entry is zero, a cell without a diagonal and an
// all-zero cell). The matrices and vectors must agree bit for bit; a
// non-zero outside the pattern must be refused.
#define BOOST_TEST_DYN_LINK
#include "solver/csr_adder.h"

#include <deal.II/base/index_set.h>
#include <deal.II/lac/affine_constraints.h>
#include <deal.II/lac/dynamic_sparsity_pattern.h>
#include <deal.II/lac/petsc_sparse_matrix.h>
#include <deal.II/lac/petsc_vector.h>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>
#include <vector>

using namespace dealii;
using namespace protonfem;

namespace
{
  constexpr unsigned int n_global = 14;

  struct Cell
  {
    std::vector<types::global_dof_index> idx;
    FullMatrix<double>                   matrix;
    Vector<double>                       rhs;
  };

  Cell random_cell(std::vector<types::global_dof_index> idx, std::mt19937 &rng)
  {
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    Cell c{std::move(idx), {}, {}};
    const unsigned int n = c.idx.size();
    c.matrix.reinit(n, n);
    c.rhs.reinit(n);
    for (unsigned int i = 0; i < n; ++i)
      {
        c.rhs(i) = u(rng);
        for (unsigned int j = 0; j < n; ++j)
          c.matrix(i, j) = (u(rng) > -0.6) ? u(rng) : 0.0; // some exact zeros
      }
    return c;
  }

  /// The pattern of the cells (as DoFTools builds it: fixed DoFs keep only
  /// their diagonal), plus DoF 13 coupled to nothing but itself.
  struct System
  {
    PETScWrappers::MPI::SparseMatrix A;
    PETScWrappers::MPI::Vector       b;
    System(const std::vector<Cell> &cells, const AffineConstraints<double> &constraints)
    {
      IndexSet all(n_global);
      all.add_range(0, n_global);
      DynamicSparsityPattern dsp(n_global, n_global);
      for (const Cell &c : cells)
        constraints.add_entries_local_to_global(c.idx, dsp, false);
      dsp.add(13, 13);
      A.reinit(all, all, dsp, MPI_COMM_SELF);
      MatSetOption(A.petsc_matrix(), MAT_IGNORE_ZERO_ENTRIES, PETSC_TRUE); // as in the solver
      b.reinit(all, MPI_COMM_SELF);
    }
    void compress()
    {
      A.compress(VectorOperation::add);
      b.compress(VectorOperation::add);
    }
  };

  unsigned int compare(const System &x, const System &y)
  {
    unsigned int nonzero = 0;
    for (unsigned int i = 0; i < n_global; ++i)
      {
        BOOST_TEST(x.b(i) == y.b(i), "rhs " << i);
        for (unsigned int j = 0; j < n_global; ++j)
          {
            BOOST_TEST(x.A.el(i, j) == y.A.el(i, j), "entry " << i << "," << j);
            nonzero += y.A.el(i, j) != 0.0;
          }
      }
    return nonzero;
  }
} // namespace

BOOST_AUTO_TEST_CASE(csr_adder_matches_matsetvalues_bit_for_bit)
{
  std::mt19937      rng(3);
  std::vector<Cell> cells;
  cells.push_back(random_cell({0, 1, 2, 3, 4, 5}, rng));
  cells.push_back(random_cell({4, 5, 6, 7, 8, 9}, rng)); // shares rows with the first
  cells.push_back(random_cell({9, 12, 2, 10, 11, 0}, rng)); // unsorted
  cells.push_back(random_cell({3, 4, 5, 6, 7, 8}, rng));
  const AffineConstraints<double> none;
  System                          reference(cells, none), direct(cells, none);
  for (const Cell &c : cells)
    {
      std::vector<PetscInt> rows(c.idx.begin(), c.idx.end());
      MatSetValues(reference.A.petsc_matrix(), rows.size(), rows.data(), rows.size(), rows.data(),
                   &c.matrix(0, 0), ADD_VALUES);
      VecSetValues(reference.b, rows.size(), rows.data(), c.rhs.begin(), ADD_VALUES);
    }
  {
    CsrAdder adder(direct.A.petsc_matrix(), direct.b);
    for (const Cell &c : cells)
      adder.add(c.idx, c.matrix, c.rhs);
    adder.finish();
  }
  reference.compress();
  direct.compress();
  BOOST_TEST(compare(direct, reference) > 80u); // not an empty comparison
}

BOOST_AUTO_TEST_CASE(csr_adder_matches_affine_constraints_for_fixed_dofs)
{
  AffineConstraints<double> zero;
  for (const types::global_dof_index i : {2u, 5u, 9u})
    zero.add_line(i);
  zero.close();
  std::mt19937      rng(7);
  std::vector<Cell> cells;
  cells.push_back(random_cell({0, 1, 2, 3, 4, 5}, rng));   // two fixed
  cells.push_back(random_cell({3, 4, 5, 6, 7, 8}, rng));   // one fixed
  cells.push_back(random_cell({1, 3, 6, 7, 10, 11}, rng)); // none
  cells.push_back(random_cell({8, 9, 10, 11, 0, 2}, rng)); // two, rows shared
  cells[0].matrix(2, 2) = 0.0; // a fixed row without its own diagonal: the mean
  Cell no_diagonal = random_cell({2, 4, 6, 9}, rng);
  for (unsigned int i = 0; i < 4; ++i)
    no_diagonal.matrix(i, i) = 0.0; // the l1 rule
  cells.push_back(no_diagonal);
  Cell empty = random_cell({5, 7, 9, 11}, rng);
  empty.matrix = 0.0; // the rule of 1
  cells.push_back(empty);
  cells.push_back(random_cell({2, 5, 9}, rng)); // only fixed DoFs

  System reference(cells, zero), direct(cells, zero);
  for (const Cell &c : cells)
    zero.distribute_local_to_global(c.matrix, c.rhs, c.idx, reference.A, reference.b);
  {
    CsrAdder adder(direct.A.petsc_matrix(), direct.b);
    for (const Cell &c : cells)
      {
        std::vector<char> fixed(c.idx.size());
        for (unsigned int i = 0; i < c.idx.size(); ++i)
          fixed[i] = zero.is_constrained(c.idx[i]);
        adder.add(c.idx, c.matrix, c.rhs, fixed);
      }
    adder.finish();
  }
  reference.compress();
  direct.compress();
  BOOST_TEST(compare(direct, reference) > 50u);
  for (const unsigned int i : {2u, 5u, 9u}) // fixed rows: a positive diagonal only
    {
      BOOST_TEST(reference.A.el(i, i) > 0.0);
      BOOST_TEST(reference.b(i) == 0.0);
    }
}

BOOST_AUTO_TEST_CASE(csr_adder_refuses_entries_outside_the_pattern)
{
  std::mt19937 rng(11);
  Cell         c = random_cell({0, 1, 2}, rng);
  const AffineConstraints<double> none;
  System                          s({c}, none);
  Cell                            outside = random_cell({0, 13}, rng); // (0,13) not in the pattern
  outside.matrix(0, 1)                    = 1.0;
  CsrAdder adder(s.A.petsc_matrix(), s.b);
  BOOST_CHECK_THROW(adder.add(outside.idx, outside.matrix, outside.rhs), std::logic_error);
  outside.matrix(0, 1) = 0.0; // an exact zero there is skipped, as PETSc would
  outside.matrix(1, 0) = 0.0;
  BOOST_CHECK_NO_THROW(adder.add(outside.idx, outside.matrix, outside.rhs));
}

namespace
{
  /// A 14 x 14 AIJ matrix of @p type on one process: random entries in a
  /// banded pattern, some of them exact zeros kept in the pattern, and row
  /// 13 all zero (its diagonal in the pattern).
  Mat banded_matrix(const MatType type, std::mt19937 &rng)
  {
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    Mat                                    A = nullptr;
    MatCreate(PETSC_COMM_SELF, &A);
    MatSetSizes(A, n_global, n_global, n_global, n_global);
    MatSetType(A, type);
    MatSeqAIJSetPreallocation(A, n_global, nullptr);
    MatMPIAIJSetPreallocation(A, n_global, nullptr, 0, nullptr);
    for (PetscInt i = 0; i < PetscInt(n_global); ++i)
      for (PetscInt j = std::max<PetscInt>(0, i - 3); j < std::min<PetscInt>(n_global, i + 4); ++j)
        {
          const double v = (i == 13) ? 0.0 : (u(rng) > -0.6 ? 1e3 * u(rng) : 0.0);
          MatSetValue(A, i, j, v, INSERT_VALUES);
        }
    MatAssemblyBegin(A, MAT_FINAL_ASSEMBLY);
    MatAssemblyEnd(A, MAT_FINAL_ASSEMBLY);
    return A;
  }
} // namespace

BOOST_AUTO_TEST_CASE(row_scaling_in_one_pass_matches_petsc)
{
  // scale_rows_to_unit_max against what the assembly did before:
  // MatGetRowMaxAbs, MatDiagonalScale, and 1 on the diagonal of a zero row.
  for (const MatType type : {MATSEQAIJ, MATMPIAIJ})
    {
      std::mt19937 rng(11);
      Mat          reference = banded_matrix(type, rng), direct = nullptr;
      MatDuplicate(reference, MAT_COPY_VALUES, &direct);
      Vec b_reference = nullptr, b_direct = nullptr, row_max = nullptr;
      VecCreateSeq(PETSC_COMM_SELF, n_global, &b_reference);
      std::uniform_real_distribution<double> u(-1.0, 1.0);
      for (PetscInt i = 0; i < PetscInt(n_global); ++i)
        VecSetValue(b_reference, i, u(rng), INSERT_VALUES);
      VecAssemblyBegin(b_reference);
      VecAssemblyEnd(b_reference);
      VecDuplicate(b_reference, &b_direct);
      VecCopy(b_reference, b_direct);
      VecDuplicate(b_reference, &row_max);

      MatGetRowMaxAbs(reference, row_max, nullptr);
      std::vector<PetscInt> empty;
      for (PetscInt i = 0; i < PetscInt(n_global); ++i)
        {
          PetscScalar m = 0;
          VecGetValues(row_max, 1, &i, &m);
          if (!(m > 0))
            empty.push_back(i);
          VecSetValue(row_max, i, (m > 0 && std::isfinite(m)) ? 1.0 / m : 1.0, INSERT_VALUES);
        }
      VecAssemblyBegin(row_max);
      VecAssemblyEnd(row_max);
      MatDiagonalScale(reference, row_max, nullptr);
      VecPointwiseMult(b_reference, b_reference, row_max);
      for (const PetscInt i : empty)
        MatSetValue(reference, i, i, 1.0, INSERT_VALUES);
      MatAssemblyBegin(reference, MAT_FINAL_ASSEMBLY);
      MatAssemblyEnd(reference, MAT_FINAL_ASSEMBLY);

      BOOST_TEST(scale_rows_to_unit_max(direct, b_direct) == 1, type);
      BOOST_TEST(empty.size() == 1u);
      unsigned int unit = 0;
      for (PetscInt i = 0; i < PetscInt(n_global); ++i)
        {
          PetscScalar x = 0, y = 0;
          VecGetValues(b_reference, 1, &i, &x);
          VecGetValues(b_direct, 1, &i, &y);
          BOOST_TEST(x == y, type << " rhs " << i);
          double largest = 0;
          for (PetscInt j = 0; j < PetscInt(n_global); ++j)
            {
              MatGetValues(reference, 1, &i, 1, &j, &x);
              MatGetValues(direct, 1, &i, 1, &j, &y);
              BOOST_TEST(x == y, type << " entry " << i << "," << j);
              largest = std::max(largest, std::abs(y));
            }
          unit += std::abs(largest - 1.0) < 1e-15;
        }
      BOOST_TEST(unit == n_global); // every row scaled to max 1 (the zero row: its diagonal)
      MatDestroy(&reference);
      MatDestroy(&direct);
      VecDestroy(&b_reference);
      VecDestroy(&b_direct);
      VecDestroy(&row_max);
    }
}
