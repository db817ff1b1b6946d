// The tables of a sweep: one row file per finished point (points/pNNNN/
// row.csv, header + one line), and sweep.csv / sweep.h5 rebuilt from all row
// files. Rebuilding from the rows (instead of appending) keeps the tables
// consistent when several rank groups finish points concurrently and when a
// sweep is resumed.
#pragma once

#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

namespace protonfem
{
  /// CSV field quoting (RFC 4180): fields with commas, quotes or line breaks are quoted.
  std::string              csv_escape(const std::string &field);
  std::vector<std::string> csv_split(const std::string &line);

  /// The row stored in @p path, or empty if the file is missing, unreadable
  /// or was written with another header (another sweep definition).
  std::vector<std::string> read_sweep_row(const std::string              &path,
                                          const std::vector<std::string> &header);
  /// Atomically write @p header and @p row to @p path.
  void write_sweep_row(const std::string &path, const std::vector<std::string> &header,
                       const std::vector<std::string> &row);

  struct SweepCounts
  {
    std::size_t finished = 0, failed = 0;
  };

  /// Rebuild sweep.csv and sweep.h5 from the row files of points 0..n-1.
  SweepCounts rebuild_sweep_tables(const std::string &points_dir, std::size_t n_points,
                                   const std::vector<std::string> &header,
                                   const std::string &csv_file, const std::string &h5_file);

  /// The design answer from the finished table: for each combination of the
  /// parameters 2..n, the smallest value of parameter 1 whose point passes
  /// the deck's design targets. Written to @p summary_file and printed.
  void write_sweep_summary(const std::string &csv_file, const std::string &summary_file,
                           const std::string &deck, const std::vector<std::string> &paths,
                           std::size_t n_points, const SweepCounts &counts, std::ostream &out);
} // namespace protonfem
