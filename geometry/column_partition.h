// Partitions the layer stack into columns: every rank owns whole columns of
// cells across the stack, and the cuts between ranks are planes normal to
// the layers.
//
// Why (docs/performance.md, "Load balance: how p4est splits the stack"):
// p4est cuts the stack into bands of layers, following deal.II's order of
// the coarse cells. A cell's cost depends on its layer (the electrolyte
// carries phi and mu, the substrate and the channel one field each), so a
// cut by cell count leaves one rank with most of the work, and a cut moved
// to balance the work lies among the electrolyte's strongly coupled
// Debye-layer cells, where the block preconditioner then fails. A column
// holds every layer, so columns of equal cell count balance the work, and
// their cuts cross only the weak lateral couplings of the anisotropic
// cells.
//
// The partition is a recursive bisection of the mesh's columns (the cells'
// lateral centres) by cell count, along the longer lateral side first. It
// depends only on the mesh, not on how p4est distributed it, so a restart
// on the same deck and rank count rebuilds the same owners (checkpoints
// need that).
#pragma once

#include <deal.II/base/point.h>
#include <deal.II/distributed/tria_base.h>

#include <array>
#include <map>
#include <memory>

namespace protonfem
{
  template <int dim> class ColumnPartition
  {
  public:
    /// Collective over the mesh's communicator: gathers the columns (lateral
    /// cell centres, the stack coordinate being the last one) with their
    /// cell counts and bisects them over the ranks.
    explicit ColumnPartition(const dealii::parallel::TriangulationBase<dim> &tria);

    /// False when there are fewer columns than ranks (a rank would own
    /// nothing); the mesh then keeps its own partition.
    bool usable() const { return n_ranks > 1 && n_columns >= n_ranks; }

    /// The rank owning the column through @p cell_center (a cell centre of
    /// the mesh this partition was built from, or of a mesh with the same
    /// columns).
    unsigned int owner(const dealii::Point<dim> &cell_center) const;

    /// Cells per rank, for the run's report: the largest over the mean.
    double imbalance() const { return max_over_mean; }

  private:
    using Key = std::array<long long, (dim > 1 ? dim - 1 : 1)>;
    Key key(const dealii::Point<dim> &p) const;

    double                          quantum = 1;
    unsigned int                    n_ranks = 1;
    std::size_t                     n_columns = 0;
    double                          max_over_mean = 1;
    std::map<Key, unsigned int>     owners;
  };

  /// A parallel::fullydistributed copy of @p tria (same cells, region,
  /// boundary and manifold ids) whose cells are owned as @p partition says.
  /// Collective. The new mesh cannot be refined.
  template <int dim>
  std::unique_ptr<dealii::parallel::TriangulationBase<dim>>
  repartition_in_columns(const dealii::parallel::TriangulationBase<dim> &tria,
                         const ColumnPartition<dim>                     &partition);

  /// The deck's 'Geometry/Partition': with "columns", more than one rank and
  /// at least as many columns as ranks (2D/3D), replaces @p tria by its
  /// column partition and returns that partition; otherwise leaves @p tria
  /// as it is and returns null. Collective.
  template <int dim>
  std::shared_ptr<const ColumnPartition<dim>>
  apply_partition(const std::string &mode, std::unique_ptr<dealii::parallel::TriangulationBase<dim>> &tria);
} // namespace protonfem
