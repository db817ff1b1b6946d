// Deck parameters of the device geometry: the layer table (bottom to top),
// lateral sizes, gate footprint, contact positions and mesh grading. Declared
// and validated here, in one place, before any mesh is built.
#pragma once

#include <deal.II/base/parameter_handler.h>

#include <string>
#include <vector>

namespace protonfem
{
  class MaterialDatabase;

  struct LayerSpec
  {
    std::string name;
    std::string material;
    double      thickness            = 0; ///< [m]
    double      interface_cell_size  = 0; ///< smallest cell at both faces [m]
    bool        full_length          = true;
    double      x_min                = 0; ///< lateral extent along the channel [m]
    double      x_max                = 0;
    double      fixed_charge_density = 0; ///< added to the material's [C/m^3]
  };

  struct GeometryParameters
  {
    std::string            mesh_source = "stack"; ///< stack | gmsh
    std::string            partition   = "columns"; ///< columns | p4est (2D/3D, > 1 rank)
    std::string            gmsh_file;
    std::vector<LayerSpec> layers; ///< bottom to top
    std::string            channel_layer;
    double                 device_length          = 0; ///< x extent [m]
    double                 device_width           = 0; ///< y extent (3D) [m]
    double                 lateral_cell_size      = 0;
    double                 max_vertical_cell_size = 0;
    double                 grading_ratio          = 1.3;
    double                 gate_x_min = 0, gate_x_max = 0, gate_y_min = 0, gate_y_max = 0;
    double                 source_x_max = 0, drain_x_min = 0;
    bool                   back_contact     = true;
    bool                   lateral_contacts = true; ///< source and drain present (2D/3D)
    /// top: pads on the exposed top face of the channel; ends: the channel's
    /// x = 0 and x = Device length faces (a bar resistor).
    std::string  contact_placement  = "top";
    unsigned int global_refinements = 0;

    /// Declares the geometry subsection. Layer subsections are declared for
    /// the given names (the deck's `Layers` list, read in a first pass).
    static void declare(dealii::ParameterHandler &prm, const std::vector<std::string> &layer_names);
    /// The layer names used when a deck does not set `Layers`.
    static std::vector<std::string> default_layer_names();
    /// Reads and validates; InputError names @p file, the parameter and the value.
    void parse(dealii::ParameterHandler &prm, const std::vector<std::string> &layer_names,
               const MaterialDatabase &materials, const std::string &file, unsigned int dim);

    /// The gmsh file as a path: relative names are taken from the deck's folder.
    std::string gmsh_path(const std::string &deck_file) const;

    double total_thickness() const;
    /// z of the bottom face of layer i.
    double       layer_bottom(unsigned int i) const;
    unsigned int layer_index(const std::string &name) const;
  };
} // namespace protonfem
