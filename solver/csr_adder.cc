#include "csr_adder.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace protonfem
{
  namespace
  {
    void check(const PetscErrorCode ierr, const char *what)
    {
      if (ierr != 0)
        throw std::runtime_error(std::string("PETSc error in ") + what + " (code " +
                                 std::to_string(ierr) + ")");
    }

    bool has_type(Mat m, const char *type)
    {
      PetscBool same = PETSC_FALSE;
      check(PetscObjectTypeCompare(reinterpret_cast<PetscObject>(m), type, &same),
            "PetscObjectTypeCompare");
      return same == PETSC_TRUE;
    }

    /// Sorts (column, local index) pairs by column: insertion sort, the
    /// lists are short (one cell's DoFs).
    void sort_by_column(std::vector<std::pair<PetscInt, unsigned>> &v)
    {
      for (std::size_t k = 1; k < v.size(); ++k)
        {
          const auto x = v[k];
          std::size_t p = k;
          for (; p > 0 && v[p - 1].first > x.first; --p)
            v[p] = v[p - 1];
          v[p] = x;
        }
    }

    /// Sorts a row's columns ascending, the values along.
    void sort_row(std::vector<PetscInt> &cols, std::vector<double> &values)
    {
      for (std::size_t k = 1; k < cols.size(); ++k)
        {
          const PetscInt c = cols[k];
          const double   v = values[k];
          std::size_t    p = k;
          for (; p > 0 && cols[p - 1] > c; --p)
            {
              cols[p]   = cols[p - 1];
              values[p] = values[p - 1];
            }
          cols[p]   = c;
          values[p] = v;
        }
    }
  } // namespace

  CsrAdder::CsrAdder(Mat A_, Vec b_)
    : A(A_)
    , b(b_)
  {
    PetscBool assembled = PETSC_FALSE;
    check(MatAssembled(A, &assembled), "MatAssembled");
    if (!assembled)
      throw std::logic_error("CsrAdder: the matrix must be assembled (its pattern fixed)");
    check(MatGetOwnershipRange(A, &rstart, &rend), "MatGetOwnershipRange");
    check(MatGetOwnershipRangeColumn(A, &cstart, &cend), "MatGetOwnershipRangeColumn");
    if (has_type(A, MATSEQAIJ))
      diag.open(A);
    else if (has_type(A, MATMPIAIJ))
      {
        Mat Ad = nullptr, Ao = nullptr;
        check(MatMPIAIJGetSeqAIJ(A, &Ad, &Ao, &garray), "MatMPIAIJGetSeqAIJ");
        diag.open(Ad);
        off.open(Ao);
        PetscInt rows = 0;
        check(MatGetSize(Ao, &rows, &n_garray), "MatGetSize");
      }
    else
      throw std::logic_error("CsrAdder: the matrix must be of type seqaij or mpiaij");
    PetscInt vstart = 0, vend = 0;
    check(VecGetOwnershipRange(b, &vstart, &vend), "VecGetOwnershipRange");
    if (vstart != rstart || vend != rend)
      throw std::logic_error("CsrAdder: the vector's layout differs from the matrix rows'");
    check(VecGetArray(b, &b_local), "VecGetArray");
    is_open = true;
  }

  CsrAdder::~CsrAdder()
  {
    try
      {
        finish();
      }
    catch (...)
      {
        // a destructor must not throw; finish() reports errors when called
      }
  }

  void CsrBlock::open(Mat m)
  {
    mat          = m;
    PetscBool ok = PETSC_FALSE;
    check(MatGetRowIJ(m, 0, PETSC_FALSE, PETSC_FALSE, &n_rows, &i, &j, &ok), "MatGetRowIJ");
    if (!ok)
      throw std::logic_error("CsrBlock: PETSc did not expose the rows of the matrix");
    check(MatSeqAIJGetArray(m, &a), "MatSeqAIJGetArray");
  }

  void CsrBlock::close()
  {
    if (mat == nullptr)
      return;
    PetscBool ok = PETSC_FALSE;
    check(MatSeqAIJRestoreArray(mat, &a), "MatSeqAIJRestoreArray");
    check(MatRestoreRowIJ(mat, 0, PETSC_FALSE, PETSC_FALSE, &n_rows, &i, &j, &ok), "MatRestoreRowIJ");
    mat = nullptr;
  }

  void CsrAdder::finish()
  {
    if (!is_open)
      return;
    is_open = false;
    diag.close();
    off.close();
    check(VecRestoreArray(b, &b_local), "VecRestoreArray");
  }

  void CsrAdder::add_row(const CsrBlock &block, const PetscInt row,
                         const std::vector<std::pair<PetscInt, unsigned>> &cols,
                         const dealii::FullMatrix<double> &m, const unsigned int i) const
  {
    // Walk the row's sorted columns alongside the cell's sorted columns.
    PetscInt       p   = block.i[row];
    const PetscInt end = block.i[row + 1];
    for (const auto &[col, j] : cols)
      {
        const double v = m(i, j);
        if (v == 0.0)
          continue;
        while (p < end && block.j[p] < col)
          ++p;
        if (col < 0 || p == end || block.j[p] != col)
          throw std::logic_error("CsrAdder: a non-zero outside the matrix pattern (row " +
                                 std::to_string(rstart + row) + ")");
        block.a[p] += v;
      }
  }

  void CsrAdder::add_diagonal(const PetscInt row, const double v)
  {
    if (row >= rstart && row < rend)
      {
        // Square matrix: the diagonal lies in the diagonal block.
        const PetscInt  col   = row - cstart;
        const PetscInt *first = diag.j + diag.i[row - rstart], *last = diag.j + diag.i[row - rstart + 1];
        const PetscInt *p     = std::lower_bound(first, last, col);
        if (p == last || *p != col)
          throw std::logic_error("CsrAdder: no diagonal entry in row " + std::to_string(row));
        diag.a[p - diag.j] += v;
      }
    else
      check(MatSetValues(A, 1, &row, 1, &row, &v, ADD_VALUES), "MatSetValues");
  }

  void CsrAdder::add(const std::vector<dealii::types::global_dof_index> &idx,
                     const dealii::FullMatrix<double> &m, const dealii::Vector<double> &r,
                     const std::vector<char> &fixed)
  {
    const unsigned int n      = idx.size();
    const bool         masked = !fixed.empty();
    diag_cols.clear();
    off_cols.clear();
    for (unsigned int j = 0; j < n; ++j)
      {
        if (masked && fixed[j])
          continue;
        const PetscInt c = static_cast<PetscInt>(idx[j]);
        if (c >= cstart && c < cend)
          diag_cols.emplace_back(c - cstart, j);
        else
          {
            // Columns of the off-diagonal block are numbered by their place
            // in garray (sorted); -1: no owned row couples to this column.
            const PetscInt *k = std::lower_bound(garray, garray + n_garray, c);
            off_cols.emplace_back((k != garray + n_garray && *k == c) ? PetscInt(k - garray) : -1,
                                  j);
          }
      }
    sort_by_column(diag_cols);
    sort_by_column(off_cols);
    bool any_fixed = false;
    ghost_rows.clear();
    for (unsigned int i = 0; i < n; ++i)
      {
        if (masked && fixed[i])
          {
            any_fixed = true;
            continue;
          }
        const PetscInt row = static_cast<PetscInt>(idx[i]);
        if (row >= rstart && row < rend)
          {
            add_row(diag, row - rstart, diag_cols, m, i);
            if (!off_cols.empty())
              {
                if (off.mat == nullptr)
                  throw std::logic_error("CsrAdder: a column outside the sequential matrix");
                add_row(off, row - rstart, off_cols, m, i);
              }
            b_local[row - rstart] += r(i);
          }
        else
          ghost_rows.emplace_back(row, i);
      }
    // Another rank's rows go through PETSc's stash, which sorts its entries
    // before sending them: the order in which they are stashed decides the
    // order in which the owner sums a row's contributions (round-off). They
    // are stashed as the previous code did, so that results stay the same
    // bit for bit on any number of ranks: in the cell's order, or, in a cell
    // with fixed DoFs, in ascending order and without zeros
    // (AffineConstraints::distribute_local_to_global; PETSc stashes a zero
    // on the diagonal even when told to ignore zeros).
    if (masked)
      sort_by_column(ghost_rows);
    for (const auto &[row, i] : ghost_rows)
      {
        petsc_idx.clear();
        petsc_row.clear();
        for (unsigned int j = 0; j < n; ++j)
          if (!masked || (!fixed[j] && m(i, j) != 0.0))
            {
              petsc_idx.push_back(static_cast<PetscInt>(idx[j]));
              petsc_row.push_back(m(i, j));
            }
        if (masked)
          sort_row(petsc_idx, petsc_row);
        check(MatSetValues(A, 1, &row, petsc_idx.size(), petsc_idx.data(), petsc_row.data(),
                           ADD_VALUES),
              "MatSetValues");
        const PetscScalar v = r(i);
        if (!masked || v != 0.0)
          check(VecSetValues(b, 1, &row, &v, ADD_VALUES), "VecSetValues");
      }
    if (!any_fixed)
      return;
    // AffineConstraints' diagonal for a row fixed at zero (its
    // set_matrix_diagonals): positive, of the size of the cell's entries.
    double average = 0;
    for (unsigned int i = 0; i < n; ++i)
      average += std::abs(m(i, i));
    average /= n;
    if (average == 0.)
      {
        average = m.l1_norm() / n;
        if (average == 0.)
          average = 1.;
      }
    for (unsigned int i = 0; i < n; ++i)
      if (fixed[i])
        {
          const double d = std::abs(m(i, i));
          add_diagonal(static_cast<PetscInt>(idx[i]), d != 0. ? d : average);
        }
  }

  PetscInt scale_rows_to_unit_max(Mat A, Vec b)
  {
    PetscInt rstart = 0, rend = 0, cstart = 0, cend = 0;
    check(MatGetOwnershipRange(A, &rstart, &rend), "MatGetOwnershipRange");
    check(MatGetOwnershipRangeColumn(A, &cstart, &cend), "MatGetOwnershipRangeColumn");
    CsrBlock blocks[2]; // diagonal and off-diagonal block (none on seqaij)
    if (has_type(A, MATSEQAIJ))
      blocks[0].open(A);
    else if (has_type(A, MATMPIAIJ))
      {
        Mat Ad = nullptr, Ao = nullptr;
        check(MatMPIAIJGetSeqAIJ(A, &Ad, &Ao, nullptr), "MatMPIAIJGetSeqAIJ");
        blocks[0].open(Ad);
        blocks[1].open(Ao);
      }
    else
      throw std::logic_error("scale_rows_to_unit_max: the matrix must be of type seqaij or mpiaij");
    PetscScalar *bv = nullptr;
    check(VecGetArray(b, &bv), "VecGetArray");
    PetscInt empty = 0;
    for (PetscInt r = 0; r < rend - rstart; ++r)
      {
        double m = 0;
        for (const CsrBlock &k : blocks)
          if (k.mat != nullptr)
            for (PetscInt p = k.i[r]; p < k.i[r + 1]; ++p)
              m = std::max(m, std::abs(k.a[p]));
        // As MatGetRowMaxAbs: a NaN entry does not raise the maximum.
        const double s = (m > 0 && std::isfinite(m)) ? 1.0 / m : 1.0;
        for (const CsrBlock &k : blocks)
          if (k.mat != nullptr)
            for (PetscInt p = k.i[r]; p < k.i[r + 1]; ++p)
              k.a[p] *= s;
        bv[r] *= s;
        if (!(m > 0))
          {
            const CsrBlock &d0    = blocks[0];
            const PetscInt *first = d0.j + d0.i[r], *last = d0.j + d0.i[r + 1];
            const PetscInt *d     = std::lower_bound(first, last, rstart + r - cstart);
            if (d == last || *d != rstart + r - cstart)
              throw std::logic_error("scale_rows_to_unit_max: no diagonal entry in row " +
                                     std::to_string(rstart + r));
            d0.a[d - d0.j] = 1.0;
            ++empty;
          }
      }
    check(VecRestoreArray(b, &bv), "VecRestoreArray");
    blocks[0].close();
    blocks[1].close();
    return empty;
  }
} // namespace protonfem
