#include "lateral_multigrid.h"

#include <deal.II/base/mpi.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <unordered_map>

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

    /// Sends @p send[r] to rank r; returns, per rank r, what r sent here.
    std::vector<std::vector<long long>> all_to_all(MPI_Comm                                   comm,
                                                   const std::vector<std::vector<long long>> &send)
    {
      const int        n = static_cast<int>(send.size());
      std::vector<int> n_send(n), n_recv(n), send_at(n, 0), recv_at(n, 0);
      for (int r = 0; r < n; ++r)
        n_send[r] = static_cast<int>(send[r].size());
      MPI_Alltoall(n_send.data(), 1, MPI_INT, n_recv.data(), 1, MPI_INT, comm);
      std::vector<long long> out, in;
      for (int r = 0; r < n; ++r)
        {
          send_at[r] = static_cast<int>(out.size());
          out.insert(out.end(), send[r].begin(), send[r].end());
        }
      int total = 0;
      for (int r = 0; r < n; ++r)
        {
          recv_at[r] = total;
          total += n_recv[r];
        }
      in.resize(total);
      MPI_Alltoallv(out.data(), n_send.data(), send_at.data(), MPI_LONG_LONG, in.data(),
                    n_recv.data(), recv_at.data(), MPI_LONG_LONG, comm);
      std::vector<std::vector<long long>> received(n);
      for (int r = 0; r < n; ++r)
        received[r].assign(in.begin() + recv_at[r], in.begin() + recv_at[r] + n_recv[r]);
      return received;
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
    const unsigned int n_ranks = dealii::Utilities::MPI::n_mpi_processes(comm);
    // Everything below is per owned DoF (k, in the global order) or per grid
    // line: no rank holds data of the global size, so the construction
    // scales with the unknowns per rank (the grid lines are few).
    const std::size_t  n_mine = points.size();
    const unsigned int nfields =
        dealii::Utilities::MPI::max(
            component.empty() ? 0u : *std::max_element(component.begin(), component.end()), comm) +
        1;

    // Grid lines along every direction (each rank's distinct coordinates,
    // merged over the ranks) and each owned DoF's position on them.
    std::array<std::vector<double>, dim> lines;
    std::vector<unsigned int>            at(n_mine * dim);
    for (unsigned int d = 0; d < dim; ++d)
      {
        std::vector<double> x(n_mine);
        for (std::size_t k = 0; k < n_mine; ++k)
          x[k] = points[k][d];
        double lo = std::numeric_limits<double>::max(), hi = std::numeric_limits<double>::lowest();
        for (const double v : x)
          lo = std::min(lo, v), hi = std::max(hi, v);
        lo                      = dealii::Utilities::MPI::min(lo, comm);
        hi                      = dealii::Utilities::MPI::max(hi, comm);
        const double        tol = 1e-9 * std::max(hi - lo, 1e-300);
        std::vector<double> all;
        for (const auto &part : dealii::Utilities::MPI::all_gather(comm, grid_lines(x, tol)))
          all.insert(all.end(), part.begin(), part.end());
        lines[d] = grid_lines(all, tol);
        for (std::size_t k = 0; k < n_mine; ++k)
          at[k * dim + d] = line_of(lines[d], x[k], tol);
      }
    const auto key_of = [&](const std::array<unsigned int, dim> &line, const unsigned int f) {
      unsigned long long key = 0;
      for (unsigned int d = 0; d < dim; ++d)
        key = key * lines[d].size() + line[d];
      return key * nfields + f;
    };
    std::vector<unsigned long long> key(n_mine);
    for (std::size_t k = 0; k < n_mine; ++k)
      {
        std::array<unsigned int, dim> line;
        for (unsigned int d = 0; d < dim; ++d)
          line[d] = at[k * dim + d];
        key[k] = key_of(line, component[k]);
      }

    // Lateral lines kept on the current level (level 0: all), and whether
    // each owned DoF is on it.
    std::array<std::vector<unsigned int>, nlat> kept;
    for (unsigned int d = 0; d < nlat; ++d)
      for (unsigned int i = 0; i < lines[d].size(); ++i)
        kept[d].push_back(i);
    std::vector<char> on_level(n_mine, 1);

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
        // Each level numbers its DoFs in the order of the fine ones, so a
        // rank's DoFs are one contiguous range on every level: its offset is
        // the count on the ranks before it.
        std::vector<char> on_next_level(n_mine, 0);
        long long         n_rows_mine = 0, n_next_mine = 0;
        for (std::size_t k = 0; k < n_mine; ++k)
          if (on_level[k])
            {
              bool on = true;
              for (unsigned int d = 0; d < nlat; ++d)
                on = on && on_next[d][at[k * dim + d]];
              on_next_level[k] = on;
              ++n_rows_mine;
              n_next_mine += on;
            }
        long long n_next = 0, n_rows = 0;
        MPI_Allreduce(&n_next_mine, &n_next, 1, MPI_LONG_LONG, MPI_SUM, comm);
        if (static_cast<unsigned long long>(n_next) < min_coarse_dofs)
          break;
        MPI_Allreduce(&n_rows_mine, &n_rows, 1, MPI_LONG_LONG, MPI_SUM, comm);
        long long row_offset = 0, next_offset = 0;
        MPI_Exscan(&n_rows_mine, &row_offset, 1, MPI_LONG_LONG, MPI_SUM, comm);
        MPI_Exscan(&n_next_mine, &next_offset, 1, MPI_LONG_LONG, MPI_SUM, comm);
        if (dealii::Utilities::MPI::this_mpi_process(comm) == 0)
          row_offset = next_offset = 0; // MPI_Exscan leaves rank 0's undefined

        // The coarse index of every DoF of the next level, by its grid key:
        // a directory spread over the ranks (key modulo the number of ranks)
        // answers for the coarse neighbours that another rank owns.
        std::unordered_map<unsigned long long, long long> mine_next;
        std::vector<std::vector<long long>>               publish(n_ranks);
        {
          long long c = next_offset;
          for (std::size_t k = 0; k < n_mine; ++k)
            if (on_next_level[k])
              {
                mine_next[key[k]] = c;
                auto &to          = publish[key[k] % n_ranks];
                to.push_back(static_cast<long long>(key[k]));
                to.push_back(c++);
              }
        }
        std::unordered_map<unsigned long long, long long> directory;
        for (const auto &from : all_to_all(comm, publish))
          for (std::size_t m = 0; m + 1 < from.size(); m += 2)
            directory[static_cast<unsigned long long>(from[m])] = from[m + 1];
        publish.clear();

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
        // Each owned row's candidate coarse nodes (grid key and bilinear
        // weight, within the row's plane and field), before knowing which
        // of them exist.
        constexpr unsigned int max_row = 1u << nlat;
        struct Candidate
        {
          unsigned long long key;
          double             weight;
        };
        // One flat list (row k's candidates from first[k] to first[k + 1]):
        // no heap block per DoF.
        std::vector<Candidate>              candidates;
        std::vector<std::size_t>            first(n_mine + 1, 0);
        std::vector<std::vector<long long>> ask(n_ranks);
        for (std::size_t k = 0; k < n_mine; ++k)
          {
            first[k] = candidates.size();
            if (!on_level[k])
              continue;
            // Per lateral direction: (line, weight) of the coarse neighbours.
            std::array<std::array<std::pair<unsigned int, double>, 2>, nlat> nb;
            std::array<unsigned int, nlat>                                   n_nb;
            for (unsigned int d = 0; d < nlat; ++d)
              {
                const unsigned int i = at[k * dim + d];
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
            for (unsigned int combo = 0; combo < max_row; ++combo)
              {
                std::array<unsigned int, dim> line;
                double                        w  = 1;
                bool                          ok = true;
                for (unsigned int d = 0; d < nlat; ++d)
                  {
                    const unsigned int c = (combo >> d) & 1;
                    if (c >= n_nb[d])
                      {
                        ok = false;
                        break;
                      }
                    line[d] = nb[d][c].first;
                    w *= nb[d][c].second;
                  }
                if (!ok || w == 0)
                  continue;
                line[dim - 1]                  = at[k * dim + dim - 1];
                const unsigned long long key_c = key_of(line, component[k]);
                candidates.push_back({key_c, w});
                if (mine_next.count(key_c) == 0)
                  ask[key_c % n_ranks].push_back(static_cast<long long>(key_c));
              }
          }
        first[n_mine] = candidates.size();
        // The directory's answers for the neighbours owned elsewhere (-1: no
        // such node, a removed cell).
        for (auto &a : ask)
          {
            std::sort(a.begin(), a.end());
            a.erase(std::unique(a.begin(), a.end()), a.end());
          }
        const auto                          questions = all_to_all(comm, ask);
        std::vector<std::vector<long long>> answers(n_ranks);
        for (unsigned int r = 0; r < n_ranks; ++r)
          for (const long long q : questions[r])
            {
              const auto it = directory.find(static_cast<unsigned long long>(q));
              answers[r].push_back(it == directory.end() ? -1 : it->second);
            }
        const auto replies = all_to_all(comm, answers);
        for (unsigned int r = 0; r < n_ranks; ++r)
          for (std::size_t m = 0; m < ask[r].size(); ++m)
            mine_next[static_cast<unsigned long long>(ask[r][m])] = replies[r][m];

        Mat p;
        // MPIAIJ on one rank too: PETSc's Galerkin product needs the type of
        // the operator (deal.II's matrices are MPIAIJ).
        MatCreate(comm, &p);
        MatSetSizes(p, n_rows_mine, n_next_mine, n_rows, n_next);
        MatSetType(p, MATMPIAIJ);
        MatMPIAIJSetPreallocation(p, max_row, nullptr, max_row, nullptr);
        MatSetOption(p, MAT_NEW_NONZERO_ALLOCATION_ERR, PETSC_TRUE);
        PetscInt                 row = static_cast<PetscInt>(row_offset);
        std::vector<PetscInt>    cols;
        std::vector<PetscScalar> vals;
        for (std::size_t k = 0; k < n_mine; ++k)
          {
            if (!on_level[k])
              continue;
            cols.clear();
            vals.clear();
            double sum = 0;
            for (std::size_t m = first[k]; m < first[k + 1]; ++m)
              {
                const Candidate &c = candidates[m];
                const long long h = mine_next.at(c.key);
                if (h < 0)
                  continue; // a removed cell: interpolate from the nodes there are
                cols.push_back(static_cast<PetscInt>(h));
                vals.push_back(c.weight);
                sum += c.weight;
              }
            for (auto &v : vals)
              v /= sum;
            MatSetValues(p, 1, &row, cols.size(), cols.data(), vals.data(), INSERT_VALUES);
            ++row;
          }
        MatAssemblyBegin(p, MAT_FINAL_ASSEMBLY);
        MatAssemblyEnd(p, MAT_FINAL_ASSEMBLY);
        result.push_back(p);
        for (unsigned int d = 0; d < nlat; ++d)
          kept[d] = next[d];
        on_level.swap(on_next_level);
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
