#include "sweep_table.h"

#include "atomic_file.h"
#include "json_writer.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <hdf5.h>
#include <iomanip>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

namespace protonfem
{
  namespace fs = std::filesystem;

  std::string csv_escape(const std::string &field)
  {
    if (field.find_first_of(",\"\n\r") == std::string::npos)
      return field;
    std::string s = "\"";
    for (const char c : field)
      {
        if (c == '"')
          s += '"';
        s += (c == '\n' || c == '\r') ? ' ' : c;
      }
    return s + "\"";
  }

  std::vector<std::string> csv_split(const std::string &line)
  {
    std::vector<std::string> fields(1);
    bool                     quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i)
      {
        const char c = line[i];
        if (quoted)
          {
            if (c == '"' && i + 1 < line.size() && line[i + 1] == '"')
              fields.back() += '"', ++i;
            else if (c == '"')
              quoted = false;
            else
              fields.back() += c;
          }
        else if (c == '"')
          quoted = true;
        else if (c == ',')
          fields.emplace_back();
        else
          fields.back() += c;
      }
    return fields;
  }

  namespace
  {
    std::string join(const std::vector<std::string> &fields)
    {
      std::string s;
      for (std::size_t i = 0; i < fields.size(); ++i)
        s += (i ? "," : "") + csv_escape(fields[i]);
      return s;
    }

    bool parse_number(const std::string &s, double &v)
    {
      if (s.empty())
        {
          v = NAN;
          return true;
        }
      char *end = nullptr;
      v         = std::strtod(s.c_str(), &end);
      return end != s.c_str() && *end == '\0';
    }

    /// One column per dataset: numbers as float64 (blank = NaN), anything
    /// else as variable-length strings. Parameter paths contain '/', which
    /// HDF5 reads as groups, so those datasets are named parameter_K and carry
    /// the path as an attribute.
    void write_h5(const std::string &file, const std::vector<std::string> &header,
                  const std::vector<std::vector<std::string>> &rows)
    {
      const std::string tmp = temporary_name(file);
      const hid_t       f   = H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
      if (f < 0)
        throw std::runtime_error("cannot create " + tmp);
      const hsize_t n     = rows.size();
      const hid_t   space = H5Screate_simple(1, &n, nullptr);
      unsigned int  param = 0;
      for (std::size_t c = 0; c < header.size(); ++c)
        {
          std::vector<double> numbers(n);
          bool                numeric = true;
          for (std::size_t r = 0; r < n && numeric; ++r)
            numeric = parse_number(rows[r][c], numbers[r]);
          const bool  is_param = header[c].find('/') != std::string::npos;
          std::string name     = is_param ? "parameter_" + std::to_string(++param) : header[c];
          hid_t       d;
          if (numeric)
            {
              d = H5Dcreate2(f, name.c_str(), H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT,
                             H5P_DEFAULT);
              H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, numbers.data());
            }
          else
            {
              const hid_t type = H5Tcopy(H5T_C_S1);
              H5Tset_size(type, H5T_VARIABLE);
              std::vector<const char *> text(n);
              for (std::size_t r = 0; r < n; ++r)
                text[r] = rows[r][c].c_str();
              d = H5Dcreate2(f, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
              H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, text.data());
              H5Tclose(type);
            }
          if (is_param)
            {
              const hid_t type = H5Tcopy(H5T_C_S1);
              H5Tset_size(type, header[c].size());
              const hid_t scalar = H5Screate(H5S_SCALAR);
              const hid_t a      = H5Acreate2(d, "path", type, scalar, H5P_DEFAULT, H5P_DEFAULT);
              H5Awrite(a, type, header[c].c_str());
              H5Aclose(a);
              H5Sclose(scalar);
              H5Tclose(type);
            }
          H5Dclose(d);
        }
      H5Sclose(space);
      if (H5Fclose(f) < 0)
        throw std::runtime_error("cannot write " + tmp);
      commit_file(tmp, file);
    }

    std::vector<std::vector<std::string>> read_table(const std::string        &csv_file,
                                                     std::vector<std::string> &header)
    {
      std::ifstream                         in(csv_file);
      std::string                           line;
      std::vector<std::vector<std::string>> rows;
      if (!std::getline(in, line))
        return rows;
      header = csv_split(line);
      while (std::getline(in, line))
        if (!line.empty())
          rows.push_back(csv_split(line));
      return rows;
    }
  } // namespace

  std::vector<std::string> read_sweep_row(const std::string              &path,
                                          const std::vector<std::string> &header)
  {
    std::ifstream in(path);
    std::string   h, r;
    if (!in || !std::getline(in, h) || !std::getline(in, r) || csv_split(h) != header)
      return {};
    auto row = csv_split(r);
    return row.size() == header.size() ? row : std::vector<std::string>();
  }

  void write_sweep_row(const std::string &path, const std::vector<std::string> &header,
                       const std::vector<std::string> &row)
  {
    write_file_atomically(path, [&](std::ostream &out) {
      out << join(header) << "\n" << join(row) << "\n";
    });
  }

  SweepCounts rebuild_sweep_tables(const std::string &points_dir, const std::size_t n_points,
                                   const std::vector<std::string> &header,
                                   const std::string &csv_file, const std::string &h5_file)
  {
    std::vector<std::vector<std::string>> rows;
    SweepCounts                           counts;
    for (std::size_t i = 0; i < n_points; ++i)
      {
        std::ostringstream name;
        name << "p" << std::setw(4) << std::setfill('0') << i;
        auto row = read_sweep_row((fs::path(points_dir) / name.str() / "row.csv").string(), header);
        if (row.empty())
          continue;
        ++counts.finished;
        counts.failed += row[1] != "ok";
        rows.push_back(row);
      }
    write_file_atomically(csv_file, [&](std::ostream &out) {
      out << join(header) << "\n";
      for (const auto &r : rows)
        out << join(r) << "\n";
    });
    write_h5(h5_file, header, rows);
    return counts;
  }

  void write_sweep_summary(const std::string &csv_file, const std::string &summary_file,
                           const std::string &deck, const std::vector<std::string> &paths,
                           const std::size_t n_points, const SweepCounts &counts, std::ostream &out)
  {
    std::vector<std::string> header;
    const auto               rows = read_table(csv_file, header);
    const auto               col  = [&](const std::string &name) {
      for (std::size_t c = 0; c < header.size(); ++c)
        if (header[c] == name)
          return c;
      throw std::runtime_error("sweep table " + csv_file + " has no column " + name);
    };
    const std::size_t c_pass = col("pass"), c_status = col("status"), c_first = col(paths[0]);
    std::vector<std::size_t> others;
    for (std::size_t k = 1; k < paths.size(); ++k)
      others.push_back(col(paths[k]));

    // Group the rows by the values of parameters 2..n (in first-seen order).
    std::vector<std::vector<std::string>>                              keys;
    std::map<std::vector<std::string>, std::pair<double, std::string>> best;
    std::map<std::vector<std::string>, unsigned int>                   missing;
    for (const auto &r : rows)
      {
        std::vector<std::string> key;
        for (const auto c : others)
          key.push_back(r[c]);
        if (!best.count(key))
          {
            keys.push_back(key);
            best[key] = {INFINITY, ""};
          }
        double v = NAN;
        if (r[c_status] == "ok" && r[c_pass] == "1" && parse_number(r[c_first], v) &&
            v < best[key].first)
          best[key] = {v, r[c_first]};
        missing[key] += r[c_status] != "ok";
      }

    std::vector<JsonObject> answer;
    out << "design answer: smallest " << paths[0] << " that meets the targets";
    if (!others.empty())
      out << ", per " << header[others[0]] << (others.size() > 1 ? ", ..." : "");
    out << "\n";
    for (const auto &key : keys)
      {
        JsonObject o;
        for (std::size_t k = 0; k < key.size(); ++k)
          o.add(paths[k + 1], key[k]);
        const auto &[v, text] = best[key];
        o.add("smallest_passing", std::isfinite(v) ? JsonValue(v) : JsonValue());
        o.add("failed_points", missing[key]);
        answer.push_back(o);
        out << "  ";
        for (std::size_t k = 0; k < key.size(); ++k)
          out << paths[k + 1] << " = " << key[k] << "  ";
        out << "->  " << (std::isfinite(v) ? text : std::string("none passes")) << "\n";
      }
    std::ostringstream plist;
    for (std::size_t k = 0; k < paths.size(); ++k)
      plist << (k ? ", " : "") << JsonValue(paths[k]).str();
    JsonObject s;
    s.add("deck", deck)
        .add("parameters", JsonValue::raw("[" + plist.str() + "]"))
        .add("points", static_cast<unsigned long long>(n_points))
        .add("finished", static_cast<unsigned long long>(counts.finished))
        .add("failed", static_cast<unsigned long long>(counts.failed))
        .add("table_csv", csv_file)
        .add("design_variable", paths[0])
        .add("design_answer", answer);
    write_file_atomically(summary_file, [&](std::ostream &o) { o << s.str(2) << "\n"; });
    out << std::flush;
  }
} // namespace protonfem
