// Adding cell matrices straight into the compressed rows of an assembled
// PETSc AIJ matrix (and the cell vectors into the local array of a PETSc
// vector), instead of one MatSetValues call per cell.
//
// Why: MatSetValues searches each of a cell's 16 x 16 entries in its row
// separately (bisection, then a scan); in the PNP Jacobian that insertion
// was ~40 % of the assembly (docs/performance.md). Here the cell's columns
// are sorted once per cell and each row is walked once alongside them.
// The values added, and the order in which each entry receives them, are
// those of MatSetValues with ADD_VALUES: the assembled matrix is the same
// bit for bit. Rows owned by another rank (cells at a partition boundary)
// still go through MatSetValues / VecSetValues and PETSc's stash.
//
// Requirements: the matrix is of type seqaij or mpiaij, assembled (its
// pattern fixed: a value outside it is an error, as with
// MAT_NEW_NONZERO_ALLOCATION_ERR); the vector has the matrix's row layout.
// Between construction and finish() nothing else may touch the matrix's
// or the vector's local arrays.
#pragma once

#include <deal.II/base/types.h>
#include <deal.II/lac/full_matrix.h>
#include <deal.II/lac/vector.h>

#include <petscmat.h>
#include <petscvec.h>

#include <utility>
#include <vector>

namespace protonfem
{
  /// One SeqAIJ matrix (or block of an MPIAIJ one) opened for direct
  /// access: its row pointers, column indices and values (PETSc's own
  /// arrays: shift 0, not symmetrised, not inode-compressed). open() and
  /// close() pair PETSc's get/restore calls; close() on a closed block does
  /// nothing.
  struct CsrBlock
  {
    Mat             mat = nullptr;
    const PetscInt *i = nullptr, *j = nullptr;
    PetscScalar    *a = nullptr;
    PetscInt        n_rows = 0;
    void            open(Mat m);
    void            close();
  };

  class CsrAdder
  {
  public:
    CsrAdder(Mat A, Vec b);
    ~CsrAdder();
    CsrAdder(const CsrAdder &)            = delete;
    CsrAdder &operator=(const CsrAdder &) = delete;

    /// A(idx[i], idx[j]) += m(i, j) and b(idx[i]) += r(i). Exact zeros of m
    /// are skipped (as with MAT_IGNORE_ZERO_ENTRIES); a non-zero outside the
    /// pattern throws.
    ///
    /// fixed (empty, or one flag per DoF of the cell) marks DoFs constrained
    /// to zero. As AffineConstraints::distribute_local_to_global adds for
    /// such constraints, their rows and columns are left out, and each fixed
    /// row gets only a diagonal entry that keeps the matrix invertible:
    /// |m(i,i)| if that is not zero, else the mean |diagonal| of m (else
    /// m's l1 norm over its size, else 1).
    void add(const std::vector<dealii::types::global_dof_index> &idx,
             const dealii::FullMatrix<double> &m, const dealii::Vector<double> &r,
             const std::vector<char> &fixed = {});

    /// Hands the arrays back to PETSc (the destructor does it too); call it
    /// before assembling (compressing) the matrix and the vector.
    void finish();

  private:
    /// Adds row i of m (its columns cols: (column in the block, local j),
    /// sorted) into local row row of block.
    void add_row(const CsrBlock &block, PetscInt row, const std::vector<std::pair<PetscInt, unsigned>> &cols,
                 const dealii::FullMatrix<double> &m, unsigned int i) const;
    /// A(row, row) += v (row global).
    void add_diagonal(PetscInt row, double v);

    Mat             A;
    Vec             b;
    CsrBlock        diag, off;
    const PetscInt *garray   = nullptr; // off-diagonal block column -> global column
    PetscInt        n_garray = 0;
    PetscInt        rstart = 0, rend = 0, cstart = 0, cend = 0;
    PetscScalar    *b_local = nullptr;
    bool            is_open = false;

    std::vector<std::pair<PetscInt, unsigned>> diag_cols, off_cols, ghost_rows;
    std::vector<PetscInt>                      petsc_idx;
    std::vector<double>                        petsc_row;
  };

  /// Row equilibration of an assembled AIJ matrix (seqaij or mpiaij) and its
  /// right-hand side, in one pass over the owned rows: each row of @p A and
  /// its entry of @p b are multiplied by 1 / max_j |A_ij|, or by 1 where that
  /// maximum is not positive and finite; a row whose maximum is not
  /// positive (all zeros: the unknown is irrelevant) gets 1 on its
  /// diagonal. Returns how many rows that was. The values are those of
  /// MatGetRowMaxAbs, MatDiagonalScale and MatSetValues on the diagonal,
  /// which cost three passes over the matrix and an assembly (5-9 % of
  /// the PNP assembly, docs/performance.md). Not collective.
  PetscInt scale_rows_to_unit_max(Mat A, Vec b);
} // namespace protonfem
