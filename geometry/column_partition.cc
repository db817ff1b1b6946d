#include "column_partition.h"

#include <deal.II/base/mpi.h>
#include <deal.II/distributed/fully_distributed_tria.h>
#include <deal.II/grid/tria_description.h>
#include <deal.II/lac/la_parallel_vector.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace protonfem
{
  using namespace dealii;

  namespace
  {
    template <int dim> struct Column
    {
      std::array<double, dim - 1> x;     // lateral centre
      double                      cells; // cell count (the weight)
    };

    // Assigns ranks [first, first + n) to columns [begin, end): split the
    // ranks in two, cut the columns at the matching share of the cells along
    // the longer lateral side, recurse. Ties in the cut coordinate are broken
    // by the other lateral coordinates, so the order is the same on every rank.
    template <int dim>
    void bisect(typename std::vector<Column<dim>>::iterator begin,
                typename std::vector<Column<dim>>::iterator end, unsigned int first,
                unsigned int n, std::vector<unsigned int> &rank_of,
                const typename std::vector<Column<dim>>::iterator origin)
    {
      if (n == 1)
        {
          for (auto c = begin; c != end; ++c)
            rank_of[c - origin] = first;
          return;
        }
      unsigned int axis = 0;
      double       widest = -1;
      for (unsigned int d = 0; d + 1 < dim; ++d)
        {
          const auto [lo, hi] = std::minmax_element(
              begin, end, [d](const auto &a, const auto &b) { return a.x[d] < b.x[d]; });
          if (hi->x[d] - lo->x[d] > widest)
            {
              widest = hi->x[d] - lo->x[d];
              axis   = d;
            }
        }
      // Sorting moves the columns, and rank_of is indexed by position, so the
      // recursion assigns by position within the (re)sorted vector.
      std::sort(begin, end, [axis](const auto &a, const auto &b) {
        if (a.x[axis] != b.x[axis])
          return a.x[axis] < b.x[axis];
        return a.x < b.x;
      });
      const unsigned int n_left = n / 2;
      double             total  = 0;
      for (auto c = begin; c != end; ++c)
        total += c->cells;
      const double target = total * n_left / n;
      // Each side keeps at least as many columns as it has ranks.
      const auto first_cut = begin + n_left;
      const auto last_cut  = end - (n - n_left);
      auto       cut       = first_cut;
      double     left      = 0;
      for (auto c = begin; c != first_cut; ++c)
        left += c->cells;
      while (cut < last_cut && std::abs(left + cut->cells - target) < std::abs(left - target))
        left += (cut++)->cells;
      bisect<dim>(begin, cut, first, n_left, rank_of, origin);
      bisect<dim>(cut, end, first + n_left, n - n_left, rank_of, origin);
    }
  } // namespace

  template <int dim>
  typename ColumnPartition<dim>::Key ColumnPartition<dim>::key(const Point<dim> &p) const
  {
    Key k{};
    for (unsigned int d = 0; d + 1 < dim; ++d)
      k[d] = std::llround(p[d] / quantum);
    return k;
  }

  template <int dim>
  ColumnPartition<dim>::ColumnPartition(const parallel::TriangulationBase<dim> &tria)
  {
    static_assert(dim >= 2, "columns need a lateral direction");
    const MPI_Comm comm = tria.get_communicator();
    n_ranks             = Utilities::MPI::n_mpi_processes(comm);

    // Keys: lateral centres rounded to 1e-9 of the mesh's extent. Cells of
    // one column have the same lateral vertices, so their centres agree to
    // round-off, far below that.
    double extent = 0;
    for (const auto &cell : tria.active_cell_iterators())
      if (cell->is_locally_owned())
        for (unsigned int v : cell->vertex_indices())
          extent = std::max(extent, cell->vertex(v).norm());
    extent  = Utilities::MPI::max(extent, comm);
    quantum = (extent > 0 ? extent : 1.0) * 1e-9;

    std::map<Key, std::pair<std::array<double, dim - 1>, double>> mine;
    for (const auto &cell : tria.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          const Point<dim> c = cell->center();
          auto            &e = mine[key(c)];
          for (unsigned int d = 0; d + 1 < dim; ++d)
            e.first[d] = c[d];
          e.second += 1;
        }
    std::vector<double> flat;
    flat.reserve(mine.size() * dim);
    for (const auto &[k, e] : mine)
      {
        flat.insert(flat.end(), e.first.begin(), e.first.end());
        flat.push_back(e.second);
      }
    // A column can span several ranks of the current partition: merge them.
    std::map<Key, Column<dim>> all;
    for (const std::vector<double> &from : Utilities::MPI::all_gather(comm, flat))
      for (std::size_t i = 0; i + dim <= from.size(); i += dim)
        {
          Point<dim> p;
          for (unsigned int d = 0; d + 1 < dim; ++d)
            p[d] = from[i + d];
          auto &col = all[key(p)];
          for (unsigned int d = 0; d + 1 < dim; ++d)
            col.x[d] = from[i + d];
          col.cells += from[i + dim - 1];
        }
    std::vector<Column<dim>> columns;
    columns.reserve(all.size());
    for (const auto &[k, col] : all)
      columns.push_back(col);
    n_columns = columns.size();
    if (!usable())
      return;

    std::vector<unsigned int> rank_of(columns.size());
    bisect<dim>(columns.begin(), columns.end(), 0, n_ranks, rank_of, columns.begin());
    std::vector<double> per_rank(n_ranks, 0.0);
    for (std::size_t i = 0; i < columns.size(); ++i)
      {
        Point<dim> p;
        for (unsigned int d = 0; d + 1 < dim; ++d)
          p[d] = columns[i].x[d];
        owners[key(p)] = rank_of[i];
        per_rank[rank_of[i]] += columns[i].cells;
      }
    const double total = std::accumulate(per_rank.begin(), per_rank.end(), 0.0);
    max_over_mean      = *std::max_element(per_rank.begin(), per_rank.end()) / (total / n_ranks);
  }

  template <int dim> unsigned int ColumnPartition<dim>::owner(const Point<dim> &cell_center) const
  {
    const auto it = owners.find(key(cell_center));
    AssertThrow(it != owners.end(),
                ExcMessage("ColumnPartition: a cell centre outside the partitioned columns"));
    return it->second;
  }

  template <int dim>
  std::unique_ptr<parallel::TriangulationBase<dim>>
  repartition_in_columns(const parallel::TriangulationBase<dim> &tria,
                         const ColumnPartition<dim>             &partition)
  {
    AssertThrow(partition.usable(), ExcMessage("repartition_in_columns: fewer columns than ranks"));
    LinearAlgebra::distributed::Vector<double> owner(
        tria.global_active_cell_index_partitioner().lock());
    for (const auto &cell : tria.active_cell_iterators())
      if (cell->is_locally_owned())
        owner[cell->global_active_cell_index()] = partition.owner(cell->center());
    owner.update_ghost_values();
    const auto description =
        TriangulationDescription::Utilities::create_description_from_triangulation(tria, owner);
    auto result =
        std::make_unique<parallel::fullydistributed::Triangulation<dim>>(tria.get_communicator());
    result->create_triangulation(description);
    return result;
  }

  template <int dim>
  std::shared_ptr<const ColumnPartition<dim>>
  apply_partition(const std::string &mode, std::unique_ptr<parallel::TriangulationBase<dim>> &tria)
  {
    if constexpr (dim >= 2)
      if (mode == "columns" && Utilities::MPI::n_mpi_processes(tria->get_communicator()) > 1)
        {
          auto partition = std::make_shared<const ColumnPartition<dim>>(*tria);
          if (partition->usable())
            {
              tria = repartition_in_columns(*tria, *partition);
              return partition;
            }
        }
    return nullptr;
  }

  template std::shared_ptr<const ColumnPartition<1>>
  apply_partition<1>(const std::string &, std::unique_ptr<parallel::TriangulationBase<1>> &);
  template std::shared_ptr<const ColumnPartition<2>>
  apply_partition<2>(const std::string &, std::unique_ptr<parallel::TriangulationBase<2>> &);
  template std::shared_ptr<const ColumnPartition<3>>
  apply_partition<3>(const std::string &, std::unique_ptr<parallel::TriangulationBase<3>> &);
  template class ColumnPartition<2>;
  template class ColumnPartition<3>;
  template std::unique_ptr<parallel::TriangulationBase<2>>
  repartition_in_columns<2>(const parallel::TriangulationBase<2> &, const ColumnPartition<2> &);
  template std::unique_ptr<parallel::TriangulationBase<3>>
  repartition_in_columns<3>(const parallel::TriangulationBase<3> &, const ColumnPartition<3> &);
} // namespace protonfem
