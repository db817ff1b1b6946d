#include "lateral_multigrid.h"

#include <deal.II/base/mpi.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>

namespace protonfem
{
  namespace
  {
    /// Sorted distinct values of @p x, merging values closer than @p tol.
    std::vector<double> grid_lines(std::vector<double> x, const double tol)
    {
      std::sort(x.begin(), x.end());
      std::vector<double> lines;
      for (const double v : x)
        if (lines.empty() || v - lines.back() > tol)
          lines.push_back(v);
      return lines;
    }

    /// Position of @p v in @p lines (within @p tol).
    unsigned int line_of(const std::vector<double> &lines, const double v, const double tol)
    {
      const auto it = std::lower_bound(lines.begin(), lines.end(), v - tol);
      if (it == lines.end() || std::abs(*it - v) > tol)
        throw std::runtime_error("lateral multigrid: the mesh is not a tensor-product grid");
      return static_cast<unsigned int>(it - lines.begin());
    }
  } // namespace

  template <int dim>
  std::vector<Mat> lateral_interpolations(MPI_Comm comm, const dealii::IndexSet &owned,
                                          const std::vector<dealii::Point<dim>> &points,
                                          const std::vector<unsigned int>       &component,
                                          const unsigned int                     max_levels,
                                          const unsigned long long               min_coarse_dofs)
  {
    if (dim < 2)
      throw std::runtime_error("lateral multigrid: a 1D mesh has no lateral direction");
    constexpr unsigned int nlat = dim - 1;
    if (!owned.is_contiguous())
      throw std::runtime_error("lateral multigrid: the owned DoFs are not one contiguous range");

    // Every DoF's coordinates and field on every rank, in the global order
    // (each rank owns one contiguous range, ranks in order).
    std::vector<double> mine;
    mine.reserve(points.size() * (dim + 1));
    for (std::size_t k = 0; k < points.size(); ++k)
      {
        for (unsigned int d = 0; d < dim; ++d)
          mine.push_back(points[k][d]);
        mine.push_back(component[k]);
      }
    const auto gathered = dealii::Utilities::MPI::all_gather(comm, mine);
    const auto firsts   = dealii::Utilities::MPI::all_gather(
          comm,
        owned.n_elements() > 0 ? static_cast<unsigned long long>(owned.nth_index_in_set(0)) : 0ull);
    const unsigned long long  n_dofs = owned.size();
    std::vector<double>       coord(n_dofs * dim);
    std::vector<unsigned int> field(n_dofs, 0);
    std::vector<unsigned int> rank_of(n_dofs, 0);
    for (unsigned int r = 0; r < gathered.size(); ++r)
      for (std::size_t k = 0; k < gathered[r].size() / (dim + 1); ++k)
        {
          const unsigned long long g = firsts[r] + k;
          for (unsigned int d = 0; d < dim; ++d)
            coord[g * dim + d] = gathered[r][k * (dim + 1) + d];
          field[g]   = static_cast<unsigned int>(gathered[r][k * (dim + 1) + dim]);
          rank_of[g] = r;
        }
    const unsigned int me      = dealii::Utilities::MPI::this_mpi_process(comm);
    const unsigned int nfields = *std::max_element(field.begin(), field.end()) + 1;

    // Grid lines along every direction and each DoF's position on them.
    std::array<std::vector<double>, dim> lines;
    std::vector<unsigned int>            at(n_dofs * dim);
    for (unsigned int d = 0; d < dim; ++d)
      {
        std::vector<double> x(n_dofs);
        for (unsigned long long g = 0; g < n_dofs; ++g)
          x[g] = coord[g * dim + d];
        const auto   range = std::minmax_element(x.begin(), x.end());
        const double tol   = 1e-9 * std::max(*range.second - *range.first, 1e-300);
        lines[d]           = grid_lines(x, tol);
        for (unsigned long long g = 0; g < n_dofs; ++g)
          at[g * dim + d] = line_of(lines[d], x[g], tol);
      }
    // The DoF of each (grid node, field), or -1 where cells were removed.
    const auto key_of = [&](const std::array<unsigned int, dim> &line, const unsigned int f) {
      unsigned long long key = 0;
      for (unsigned int d = 0; d < dim; ++d)
        key = key * lines[d].size() + line[d];
      return key * nfields + f;
    };
    unsigned long long n_keys = nfields;
    for (unsigned int d = 0; d < dim; ++d)
      n_keys *= lines[d].size();
    std::vector<long long> node_dof(n_keys, -1);
    for (unsigned long long g = 0; g < n_dofs; ++g)
      {
        std::array<unsigned int, dim> line;
        for (unsigned int d = 0; d < dim; ++d)
          line[d] = at[g * dim + d];
        node_dof[key_of(line, field[g])] = static_cast<long long>(g);
      }

    // Lateral lines kept on the current level (level 0: all).
    std::array<std::vector<unsigned int>, nlat> kept;
    for (unsigned int d = 0; d < nlat; ++d)
      for (unsigned int i = 0; i < lines[d].size(); ++i)
        kept[d].push_back(i);
    // Index of each fine DoF on the current level (-1: not on it).
    std::vector<long long> index(n_dofs);
    for (unsigned long long g = 0; g < n_dofs; ++g)
      index[g] = static_cast<long long>(g);

    std::vector<Mat> result;
    while (result.size() + 1 < max_levels)
      {
        // Every other kept line, the first and the last always.
        bool                                        coarser = false;
        std::array<std::vector<unsigned int>, nlat> next;
        std::array<std::vector<char>, nlat>         on_next;
        for (unsigned int d = 0; d < nlat; ++d)
          {
            if (kept[d].size() > 3)
              {
                coarser = true;
                for (unsigned int k = 0; k < kept[d].size(); k += 2)
                  next[d].push_back(kept[d][k]);
                if (next[d].back() != kept[d].back())
                  next[d].push_back(kept[d].back());
              }
            else
              next[d] = kept[d];
            on_next[d].assign(lines[d].size(), 0);
            for (const unsigned int i : next[d])
              on_next[d][i] = 1;
          }
        if (!coarser)
          break;
        std::vector<long long> next_index(n_dofs, -1);
        long long              n_next = 0, n_next_mine = 0, n_rows_mine = 0;
        for (unsigned long long g = 0; g < n_dofs; ++g)
          {
            if (index[g] < 0)
              continue;
            bool on = true;
            for (unsigned int d = 0; d < nlat; ++d)
              on = on && on_next[d][at[g * dim + d]];
            if (rank_of[g] == me)
              ++n_rows_mine;
            if (on)
              {
                next_index[g] = n_next++;
                if (rank_of[g] == me)
                  ++n_next_mine;
              }
          }
        if (static_cast<unsigned long long>(n_next) < min_coarse_dofs)
          break;
        long long n_rows = 0;
        for (unsigned long long g = 0; g < n_dofs; ++g)
          n_rows += index[g] >= 0;

        // Nearest kept lines below and above each line of the current level.
        std::array<std::vector<unsigned int>, nlat> below, above;
        for (unsigned int d = 0; d < nlat; ++d)
          {
            below[d].assign(lines[d].size(), 0);
            above[d].assign(lines[d].size(), 0);
            unsigned int last = next[d].front();
            for (unsigned int i = 0; i < lines[d].size(); ++i)
              {
                if (on_next[d][i])
                  last = i;
                below[d][i] = last;
              }
            last = next[d].back();
            for (int i = static_cast<int>(lines[d].size()) - 1; i >= 0; --i)
              {
                if (on_next[d][i])
                  last = i;
                above[d][i] = last;
              }
          }

        constexpr unsigned int max_row = 1u << nlat;
        Mat                    p;
        // MPIAIJ on one rank too: PETSc's Galerkin product needs the type of
        // the operator (deal.II's matrices are MPIAIJ).
        MatCreate(comm, &p);
        MatSetSizes(p, n_rows_mine, n_next_mine, n_rows, n_next);
        MatSetType(p, MATMPIAIJ);
        MatMPIAIJSetPreallocation(p, max_row, nullptr, max_row, nullptr);
        MatSetOption(p, MAT_NEW_NONZERO_ALLOCATION_ERR, PETSC_TRUE);
        for (unsigned long long g = 0; g < n_dofs; ++g)
          {
            if (index[g] < 0 || rank_of[g] != me)
              continue;
            // Per lateral direction: (line, weight) of the coarse neighbours.
            std::array<std::array<std::pair<unsigned int, double>, 2>, nlat> nb;
            std::array<unsigned int, nlat>                                   n_nb;
            for (unsigned int d = 0; d < nlat; ++d)
              {
                const unsigned int i = at[g * dim + d];
                if (on_next[d][i])
                  {
                    nb[d][0] = {i, 1.0};
                    n_nb[d]  = 1;
                  }
                else
                  {
                    const unsigned int a = below[d][i], b = above[d][i];
                    const double t = (lines[d][i] - lines[d][a]) / (lines[d][b] - lines[d][a]);
                    nb[d][0]       = {a, 1 - t};
                    nb[d][1]       = {b, t};
                    n_nb[d]        = 2;
                  }
              }
            std::vector<PetscInt>    cols;
            std::vector<PetscScalar> vals;
            double                   sum = 0;
            for (unsigned int combo = 0; combo < max_row; ++combo)
              {
                std::array<unsigned int, dim> line;
                double                        w  = 1;
                bool                          ok = true;
                for (unsigned int d = 0; d < nlat; ++d)
                  {
                    const unsigned int k = (combo >> d) & 1;
                    if (k >= n_nb[d])
                      {
                        ok = false;
                        break;
                      }
                    line[d] = nb[d][k].first;
                    w *= nb[d][k].second;
                  }
                if (!ok)
                  continue;
                line[dim - 1]     = at[g * dim + dim - 1];
                const long long h = node_dof[key_of(line, field[g])];
                if (h < 0 || w == 0)
                  continue; // a removed cell: interpolate from the nodes there are
                cols.push_back(static_cast<PetscInt>(next_index[h]));
                vals.push_back(w);
                sum += w;
              }
            for (auto &v : vals)
              v /= sum;
            const PetscInt row = static_cast<PetscInt>(index[g]);
            MatSetValues(p, 1, &row, cols.size(), cols.data(), vals.data(), INSERT_VALUES);
          }
        MatAssemblyBegin(p, MAT_FINAL_ASSEMBLY);
        MatAssemblyEnd(p, MAT_FINAL_ASSEMBLY);
        result.push_back(p);
        for (unsigned int d = 0; d < nlat; ++d)
          kept[d] = next[d];
        index.swap(next_index);
      }
    return result;
  }

  template std::vector<Mat> lateral_interpolations<1>(MPI_Comm, const dealii::IndexSet &,
                                                      const std::vector<dealii::Point<1>> &,
                                                      const std::vector<unsigned int> &,
                                                      unsigned int, unsigned long long);
  template std::vector<Mat> lateral_interpolations<2>(MPI_Comm, const dealii::IndexSet &,
                                                      const std::vector<dealii::Point<2>> &,
                                                      const std::vector<unsigned int> &,
                                                      unsigned int, unsigned long long);
  template std::vector<Mat> lateral_interpolations<3>(MPI_Comm, const dealii::IndexSet &,
                                                      const std::vector<dealii::Point<3>> &,
                                                      const std::vector<unsigned int> &,
                                                      unsigned int, unsigned long long);
} // namespace protonfem
