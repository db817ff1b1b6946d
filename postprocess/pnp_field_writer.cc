#include "pnp_field_writer.h"

#include "atomic_file.h"
#include "hdf5_patch_writer.h"

#include <deal.II/base/mpi.h>
#include <deal.II/base/quadrature_lib.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/numerics/data_out.h>
#include <deal.II/numerics/data_postprocessor.h>

#include <boost/archive/text_iarchive.hpp>
#include <boost/archive/text_oarchive.hpp>
#include <boost/serialization/vector.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>

namespace protonfem
{
  using namespace dealii;

  namespace
  {
    /// Physical fields from (phi_hat, mu) and the cell's region.
    template <int dim> class PhysicalFields : public DataPostprocessor<dim>
    {
    public:
      PhysicalFields(const std::vector<RegionModel> &regions, const Scaling &s)
          : regions(regions), s(s),
            with_electrons(std::any_of(regions.begin(), regions.end(),
                                       [](const RegionModel &r) { return bool(r.electrons); }))
      {
      }
      void evaluate_vector_field(const DataPostprocessorInputs::Vector<dim> &in,
                                 std::vector<Vector<double>>                &out) const override
      {
        const auto         cell = in.template get_cell<dim>();
        const RegionModel &r    = regions[cell->material_id()];
        const double       vt = s.thermal_voltage(), L = s.length;
        // The mesh is in metres, so solution gradients are in 1/m: E = -V_T grad phi_hat,
        // and the flux in SI is D_ref c_ref times the nondimensional one built
        // with nondimensional gradients (L grad).
        const double flux_scale = s.diffusivity * s.density / L;
        for (unsigned int p = 0; p < in.solution_values.size(); ++p)
          {
            // mu: this layer's field (the channel has its own with a finite-rate interface).
            const unsigned int   mc  = r.mu_component;
            const double         phi = in.solution_values[p][0], mu = in.solution_values[p][mc];
            const Tensor<1, dim> gp = in.solution_gradients[p][0] * L; // nondimensional
            const Tensor<1, dim> gm = in.solution_gradients[p][mc] * L;
            unsigned int         k  = 0;
            out[p][k++]             = phi * vt;
            for (unsigned int d = 0; d < dim; ++d)
              out[p][k++] = -gp[d] * vt / L;
            out[p][k++]      = gp.norm() * vt / L;
            double         c = 0, g = 1, dg = 0;
            Tensor<1, dim> j;
            if (r.hosts_protons)
              {
                c = r.density(mu, phi);
                r.enhancement(gp.norm(), g, dg);
                j = -r.diffusivity * r.density_derivative(mu, phi) * g * gm;
              }
            out[p][k++] = c * s.density;
            for (unsigned int d = 0; d < dim; ++d)
              out[p][k++] = j[d] * flux_scale;
            const RegionModel *e = r.electrons.get();
            if (with_electrons)
              out[p][k++] =
                  e ? e->density(in.solution_values[p][e->mu_component], phi) * s.density : 0.0;
          }
      }
      std::vector<std::string> get_names() const override
      {
        std::vector<std::string> n{"phi"};
        for (unsigned int d = 0; d < dim; ++d)
          n.push_back("E");
        n.push_back("E_magnitude");
        n.push_back("proton_density");
        for (unsigned int d = 0; d < dim; ++d)
          n.push_back("proton_flux");
        if (with_electrons)
          n.push_back("electron_density");
        return n;
      }
      std::vector<DataComponentInterpretation::DataComponentInterpretation>
      get_data_component_interpretation() const override
      {
        using namespace DataComponentInterpretation;
        std::vector<DataComponentInterpretation::DataComponentInterpretation> i{
            component_is_scalar};
        for (unsigned int d = 0; d < dim; ++d)
          i.push_back(component_is_part_of_vector);
        i.push_back(component_is_scalar);
        i.push_back(component_is_scalar);
        for (unsigned int d = 0; d < dim; ++d)
          i.push_back(component_is_part_of_vector);
        if (with_electrons)
          i.push_back(component_is_scalar); // electron density
        return i;
      }
      UpdateFlags get_needed_update_flags() const override
      {
        return update_values | update_gradients;
      }

    private:
      const std::vector<RegionModel> &regions;
      Scaling                         s;
      bool                            with_electrons;
    };
  } // namespace

  template <int dim>
  PNPFieldWriter<dim>::PNPFieldWriter(std::string directory, std::string base)
      : directory(std::move(directory)), base(std::move(base))
  {
  }

  template <int dim>
  std::string PNPFieldWriter<dim>::write(const PNPSolver<dim> &solver, const double time)
  {
    const auto    &dofs = solver.dof_handler();
    const MPI_Comm comm = dofs.get_triangulation().get_communicator();
    const unsigned me   = Utilities::MPI::this_mpi_process(comm);
    char           stem[64];
    std::snprintf(stem, sizeof(stem), "_%04u", count++);
    namespace fs = std::filesystem;

    if constexpr (dim == 1)
      {
        // Profile along the stack: both ends of every cell (c jumps at interfaces).
        const auto                            &regions = solver.region_models();
        const Scaling                         &s       = solver.scales();
        const QGaussLobatto<1>                 pts(dofs.get_fe().degree + 1);
        FEValues<1>                            fv(dofs.get_fe(), pts,
                                                  update_values | update_gradients | update_quadrature_points);
        const unsigned int                     nc = dofs.get_fe().n_components();
        std::vector<Vector<double>>            v(pts.size(), Vector<double>(nc));
        std::vector<std::vector<Tensor<1, 1>>> g(pts.size(), std::vector<Tensor<1, 1>>(nc));
        std::vector<std::array<double, 8>>     rows;
        for (const auto &cell : dofs.active_cell_iterators())
          if (cell->is_locally_owned())
            {
              fv.reinit(cell);
              fv.get_function_values(solver.solution(), v);
              fv.get_function_gradients(solver.solution(), g);
              const RegionModel &r = regions[cell->material_id()];
              const RegionModel *e = r.electrons.get();
              for (unsigned int q = 0; q < pts.size(); ++q)
                rows.push_back({{fv.quadrature_point(q)[0], v[q][0] * s.thermal_voltage(),
                                 -g[q][0][0] * s.thermal_voltage(), // mesh in m: grad in 1/m
                                 r.hosts_protons ? r.density(v[q][r.mu_component], v[q][0]) * s.density : 0.0,
                                 double(cell->material_id()), v[q][r.mu_component],
                                 e ? e->density(v[q][e->mu_component], v[q][0]) * s.density : 0.0,
                                 e ? v[q][e->mu_component] : 0.0}});
            }
        auto              all  = Utilities::MPI::gather(comm, rows, 0);
        const std::string file = (fs::path(directory) / (base + stem + "_profile.csv")).string();
        if (me == 0)
          {
            std::vector<std::array<double, 8>> merged;
            for (auto &r : all)
              merged.insert(merged.end(), r.begin(), r.end());
            std::stable_sort(merged.begin(), merged.end(),
                             [](const auto &a, const auto &b) { return a[0] < b[0]; });
            write_file_atomically(file, [&](std::ostream &out) {
              out << "# time_s = " << std::setprecision(17) << time << "\n"
                  << "z_m,phi_V,E_V_per_m,proton_density_m3,region_id,mu_kT,electron_density_m3,"
                     "mu_electron_kT\n";
              for (const auto &r : merged)
                out << r[0] << "," << r[1] << "," << r[2] << "," << r[3] << "," << int(r[4]) << ","
                    << r[5] << "," << r[6] << "," << r[7] << "\n";
            });
          }
        return file;
      }
    else
      {
        const auto   &tria = dofs.get_triangulation();
        Vector<float> region(tria.n_active_cells()), rank(tria.n_active_cells());
        for (const auto &cell : tria.active_cell_iterators())
          if (cell->is_locally_owned())
            {
              region[cell->active_cell_index()] = cell->material_id();
              rank[cell->active_cell_index()]   = me;
            }
        PhysicalFields<dim> fields(solver.region_models(), solver.scales());
        DataOut<dim>        out;
        out.attach_dof_handler(dofs);
        out.add_data_vector(solver.solution(), fields);
        out.add_data_vector(region, "region_id", DataOut<dim>::type_cell_data);
        out.add_data_vector(rank, "mpi_rank", DataOut<dim>::type_cell_data);
        out.build_patches(dofs.get_fe().degree);
        const std::string h5name = base + stem + ".h5";
        const std::string h5     = (fs::path(directory) / h5name).string();
        // Vertices are not merged (densities, E, region and rank jump across
        // faces); hdf5_patch_writer.h says why not deal.II's HDF5 writer.
        entries.push_back(write_patches_hdf5(out, temporary_name(h5), h5name, time, comm));
        const std::string xdmf = (fs::path(directory) / (base + "_fields.xdmf")).string();
        out.write_xdmf_file(entries, temporary_name(xdmf), comm);
        MPI_Barrier(comm);
        if (me == 0)
          {
            commit_file(temporary_name(h5), h5);
            commit_file(temporary_name(xdmf), xdmf);
          }
        MPI_Barrier(comm);
        return xdmf;
      }
  }

  template <int dim> std::string PNPFieldWriter<dim>::state() const
  {
    std::ostringstream            out;
    boost::archive::text_oarchive ar(out);
    ar << count << entries;
    return out.str();
  }

  template <int dim> void PNPFieldWriter<dim>::set_state(const std::string &s)
  {
    std::istringstream            in(s);
    boost::archive::text_iarchive ar(in);
    ar >> count >> entries;
  }

  template class PNPFieldWriter<1>;
  template class PNPFieldWriter<2>;
  template class PNPFieldWriter<3>;
} // namespace protonfem
