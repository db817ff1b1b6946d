#include "geometry_parameters.h"

#include "../materials/material_database.h"
#include "../solver/input_error.h"

#include <deal.II/base/utilities.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace protonfem
{
  using dealii::ParameterHandler;
  namespace Patterns = dealii::Patterns;

  namespace
  {

    /// A strictly positive length; Patterns::Double has already rejected
    /// text, NaN and inf, so only the sign is left to check.
    double positive(ParameterHandler &prm, const std::string &entry, const std::string &file,
                    const std::string &path)
    {
      const double v = prm.get_double(entry);
      if (!(v > 0) || !std::isfinite(v))
        throw InputError(file, path + entry, prm.get(entry), "a finite value > 0 (SI units)");
      return v;
    }
  } // namespace

  std::vector<std::string> GeometryParameters::default_layer_names()
  {
    return {"substrate", "channel", "electrolyte"};
  }

  void GeometryParameters::declare(ParameterHandler               &prm,
                                   const std::vector<std::string> &layer_names)
  {
    prm.enter_subsection("Geometry");
    prm.declare_entry(
        "Mesh source", "stack", Patterns::Selection("stack|gmsh"),
        "stack: build the device from the layer table; gmsh: read 'Gmsh file', whose "
        "volume physical groups are named like the layers and whose surface groups "
        "are named gate, source, drain, back or insulating (untagged faces are insulating).");
    prm.declare_entry(
        "Partition", "columns", Patterns::Selection("columns|p4est"),
        "How the cells are split over MPI ranks in 2D/3D. columns: each rank owns whole "
        "columns across the stack (the lateral centres bisected by cell count), so every rank "
        "holds every layer and the cuts cross only lateral couplings; p4est: p4est's own split "
        "along its space-filling curve, which cuts the stack into bands of layers "
        "(docs/performance.md, 'Columns across the stack'). One rank, or fewer columns than "
        "ranks: p4est's.");
    prm.declare_entry("Gmsh file", "", Patterns::Anything(),
                      "Gmsh .msh file (ASCII, format 2.2 or 4.1), relative to the deck's folder "
                      "or absolute. Used when Mesh source = gmsh.");
    prm.declare_entry("Layers", "substrate, channel, electrolyte",
                      Patterns::List(Patterns::Anything(), 1),
                      "Layer names from bottom to top; each gets a 'subsection Layer NAME'.");
    prm.declare_entry("Channel layer", "channel", Patterns::Anything(),
                      "Name of the layer that is the channel (source/drain sit on its top face).");
    prm.declare_entry("Device length", "150e-9", Patterns::Double(),
                      "Extent along the channel (x) [m].");
    prm.declare_entry("Device width", "50e-9", Patterns::Double(),
                      "Extent across the channel (y, 3D only) [m].");
    prm.declare_entry("Lateral cell size", "5e-9", Patterns::Double(),
                      "Largest cell size in x and y [m].");
    prm.declare_entry("Max vertical cell size", "5e-9", Patterns::Double(),
                      "Largest cell size in the stacking direction [m].");
    prm.declare_entry("Grading ratio", "1.3", Patterns::Double(1.0, 3.0),
                      "Growth ratio of neighbouring cells away from an interface, in [1, 3].");
    prm.declare_entry("Gate x min", "25e-9", Patterns::Double(),
                      "Gate footprint start along x [m].");
    prm.declare_entry("Gate x max", "125e-9", Patterns::Double(),
                      "Gate footprint end along x [m].");
    prm.declare_entry("Gate y min", "0", Patterns::Double(),
                      "Gate footprint start along y (3D) [m].");
    prm.declare_entry("Gate y max", "50e-9", Patterns::Double(),
                      "Gate footprint end along y (3D) [m].");
    prm.declare_entry("Source contact x max", "15e-9", Patterns::Double(),
                      "Source: exposed top face of the channel layer from x = 0 to here [m].");
    prm.declare_entry(
        "Drain contact x min", "135e-9", Patterns::Double(),
        "Drain: exposed top face of the channel layer from here to x = Device length [m].");
    prm.declare_entry("Source and drain contacts", "true", Patterns::Bool(),
                      "Whether the source and drain contacts exist (2D/3D). false turns the "
                      "device into a plain layer stack (e.g. a layered capacitor).");
    prm.declare_entry("Contact placement", "top", Patterns::Selection("top|ends"),
                      "top: source and drain are pads on the exposed top face of the channel "
                      "(x < Source contact x max, x > Drain contact x min); ends: they are the "
                      "channel's end faces at x = 0 and x = Device length.");
    prm.declare_entry("Back contact", "true", Patterns::Bool(),
                      "Whether the bottom face of the stack is an electrode (boundary id 4). In 1D "
                      "it is the counter electrode of the gate.");
    prm.declare_entry("Global refinements", "0", Patterns::Integer(0, 12),
                      "Uniform refinements of the built mesh (convergence studies).");
    for (const auto &name : layer_names)
      {
        prm.enter_subsection("Layer " + name);
        prm.declare_entry("Material", "SiO2", Patterns::Anything(),
                          "Material name from the database (`protonfem materials`).");
        prm.declare_entry("Thickness", "10e-9", Patterns::Double(), "Layer thickness [m], > 0.");
        prm.declare_entry(
            "Interface cell size", "1e-9", Patterns::Double(),
            "Cell size at both faces of the layer [m]; sub-nm in PSG (Debye layers).");
        prm.declare_entry("X extent", "full", Patterns::Anything(),
                          "'full' or 'x_min, x_max' [m]: lateral extent along the channel.");
        prm.declare_entry("Fixed charge density", "0", Patterns::Double(),
                          "Immobile charge density added to the material's [C/m^3].");
        prm.leave_subsection();
      }
    prm.leave_subsection();
  }

  void GeometryParameters::parse(ParameterHandler &prm, const std::vector<std::string> &layer_names,
                                 const MaterialDatabase &materials, const std::string &file,
                                 const unsigned int dim)
  {
    const std::string g = "Geometry/";
    prm.enter_subsection("Geometry");
    mesh_source            = prm.get("Mesh source");
    gmsh_file              = prm.get("Gmsh file");
    partition              = prm.get("Partition");
    channel_layer          = prm.get("Channel layer");
    device_length          = positive(prm, "Device length", file, g);
    device_width           = positive(prm, "Device width", file, g);
    lateral_cell_size      = positive(prm, "Lateral cell size", file, g);
    max_vertical_cell_size = positive(prm, "Max vertical cell size", file, g);
    grading_ratio          = prm.get_double("Grading ratio");
    gate_x_min             = prm.get_double("Gate x min");
    gate_x_max             = prm.get_double("Gate x max");
    gate_y_min             = prm.get_double("Gate y min");
    gate_y_max             = prm.get_double("Gate y max");
    source_x_max           = prm.get_double("Source contact x max");
    drain_x_min            = prm.get_double("Drain contact x min");
    back_contact           = prm.get_bool("Back contact");
    lateral_contacts       = prm.get_bool("Source and drain contacts");
    contact_placement      = prm.get("Contact placement");
    global_refinements     = prm.get_integer("Global refinements");

    layers.clear();
    std::set<std::string> seen;
    for (const auto &name : layer_names)
      {
        if (!seen.insert(name).second)
          throw InputError(file, g + "Layers", name,
                           "unique layer names (duplicate '" + name + "')");
        const std::string path = g + "Layer " + name + "/";
        prm.enter_subsection("Layer " + name);
        LayerSpec l;
        l.name                   = name;
        l.material               = prm.get("Material");
        l.thickness              = positive(prm, "Thickness", file, path);
        l.interface_cell_size    = positive(prm, "Interface cell size", file, path);
        l.fixed_charge_density   = prm.get_double("Fixed charge density");
        const std::string extent = prm.get("X extent");
        prm.leave_subsection();

        const auto &material = materials.get(l.material, file, path + "Material");
        if (material.kind == MaterialKind::metal)
          throw InputError(file, path + "Material", l.material,
                           "a dielectric, electrolyte or mixed conductor: metals are electrodes "
                           "(boundaries), not layers");
        if (l.interface_cell_size > l.thickness)
          throw InputError(file, path + "Interface cell size", value_text(l.interface_cell_size),
                           "at most the layer thickness " + value_text(l.thickness) + " m");
        if (dealii::Utilities::trim(extent) != "full")
          {
            const auto parts = dealii::Utilities::split_string_list(extent, ',');
            bool       ok    = parts.size() == 2;
            if (ok)
              try
                {
                  l.x_min = dealii::Utilities::string_to_double(parts[0]);
                  l.x_max = dealii::Utilities::string_to_double(parts[1]);
                }
              catch (...)
                {
                  ok = false;
                }
            if (!ok || !std::isfinite(l.x_min) || !std::isfinite(l.x_max))
              throw InputError(file, path + "X extent", extent, "'full' or 'x_min, x_max' in m");
            if (l.x_min < 0 || l.x_max > device_length || l.x_min >= l.x_max)
              throw InputError(file, path + "X extent", extent,
                               "0 <= x_min < x_max <= Device length (" + value_text(device_length) +
                                   " m)");
            l.full_length = (l.x_min == 0 && l.x_max == device_length);
          }
        else
          {
            l.x_min = 0;
            l.x_max = device_length;
          }
        layers.push_back(l);
      }
    prm.leave_subsection();

    if (max_vertical_cell_size < 0)
      throw InputError(file, g + "Max vertical cell size", value_text(max_vertical_cell_size),
                       "> 0");
    if (mesh_source == "gmsh")
      {
        if (dealii::Utilities::trim(gmsh_file).empty())
          throw InputError(file, g + "Gmsh file", "", "a .msh file when Mesh source = gmsh");
        // A missing, unreadable or empty mesh file is a deck error like any
        // other: report it here, before the run starts, not from the mesh reader.
        namespace fs        = std::filesystem;
        const std::string m = gmsh_path(file);
        std::error_code   ec;
        if (!fs::exists(m, ec))
          throw InputError(file, g + "Gmsh file", gmsh_file,
                           "an existing gmsh .msh file (relative to the deck's folder); " + m +
                               " does not exist");
        if (!fs::is_regular_file(m, ec) || !std::ifstream(m))
          throw InputError(file, g + "Gmsh file", gmsh_file,
                           "a readable gmsh .msh file; " + m + " is not a readable regular file");
        if (fs::file_size(m, ec) == 0)
          throw InputError(file, g + "Gmsh file", gmsh_file,
                           "a non-empty gmsh .msh file; " + m + " is empty");
        return; // the mesh file defines the shape; layer table supplies materials
      }

    // The gate sits on the top layer; in 1D the line through the gate centre
    // is what is modelled, so the footprint still has to be inside the device.
    const LayerSpec &top = layers.back();
    if (!(gate_x_min >= top.x_min && gate_x_max <= top.x_max && gate_x_min < gate_x_max))
      throw InputError(
          file, g + "Gate x min/Gate x max", value_text(gate_x_min) + ", " + value_text(gate_x_max),
          "x_min < x_max inside the top layer '" + top.name + "' [" + value_text(top.x_min) + ", " +
              value_text(top.x_max) + "] m (gate outside the device)");
    if (dim == 3 && !(gate_y_min >= 0 && gate_y_max <= device_width && gate_y_min < gate_y_max))
      throw InputError(file, g + "Gate y min/Gate y max",
                       value_text(gate_y_min) + ", " + value_text(gate_y_max),
                       "y_min < y_max inside [0, Device width = " + value_text(device_width) +
                           "] m (gate outside the device)");

    if (dim >= 2 && lateral_contacts)
      {
        bool found = false;
        for (const auto &l : layers)
          found |= (l.name == channel_layer);
        if (!found)
          throw InputError(file, g + "Channel layer", channel_layer,
                           "one of the layer names in 'Layers'");
        const bool top_pads = contact_placement == "top";
        if (top_pads && !(source_x_max > 0 && drain_x_min < device_length))
          throw InputError(file, g + "Source contact x max/Drain contact x min",
                           value_text(source_x_max) + ", " + value_text(drain_x_min),
                           "0 < Source contact x max and Drain contact x min < Device length");
        if (top_pads && !(source_x_max < drain_x_min))
          throw InputError(file, g + "Source contact x max/Drain contact x min",
                           value_text(source_x_max) + ", " + value_text(drain_x_min),
                           "Source contact x max < Drain contact x min (the contacts overlap)");
        const unsigned int c = layer_index(channel_layer);
        if (source_x_max > layers[c].x_max || drain_x_min < layers[c].x_min ||
            layers[c].x_min > 0 || layers[c].x_max < device_length)
          {
            // Contacts run from the device ends inwards, so the channel must
            // span the whole device length.
            if (layers[c].x_min > 0 || layers[c].x_max < device_length)
              throw InputError(file, g + "Layer " + channel_layer + "/X extent",
                               value_text(layers[c].x_min) + ", " + value_text(layers[c].x_max),
                               "'full': the source and drain contacts sit on the channel ends");
          }
        for (unsigned int i = c + 1; top_pads && i < layers.size(); ++i)
          if (layers[i].x_min < source_x_max || layers[i].x_max > drain_x_min)
            throw InputError(file, g + "Layer " + layers[i].name + "/X extent",
                             value_text(layers[i].x_min) + ", " + value_text(layers[i].x_max),
                             "an extent inside [Source contact x max, Drain contact x min] = [" +
                                 value_text(source_x_max) + ", " + value_text(drain_x_min) +
                                 "] m: layers above the channel must leave the contacts exposed");
      }
  }

  std::string GeometryParameters::gmsh_path(const std::string &deck_file) const
  {
    std::filesystem::path p(gmsh_file);
    if (p.is_relative())
      p = std::filesystem::path(deck_file).parent_path() / p;
    return p.string();
  }

  double GeometryParameters::total_thickness() const
  {
    double t = 0;
    for (const auto &l : layers)
      t += l.thickness;
    return t;
  }

  double GeometryParameters::layer_bottom(const unsigned int i) const
  {
    double z = 0;
    for (unsigned int j = 0; j < i; ++j)
      z += layers[j].thickness;
    return z;
  }

  unsigned int GeometryParameters::layer_index(const std::string &name) const
  {
    for (unsigned int i = 0; i < layers.size(); ++i)
      if (layers[i].name == name)
        return i;
    throw InputError("", "Geometry/Layers", name, "a declared layer");
  }
} // namespace protonfem
