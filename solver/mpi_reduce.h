// Element-wise all-reduce of small std::vectors (per-region sums and maxima).
#pragma once

#include <mpi.h>
#include <type_traits>
#include <vector>

namespace protonfem
{
  template <typename T> std::vector<T> all_reduce(std::vector<T> values, MPI_Op op, MPI_Comm comm)
  {
    static_assert(std::is_same_v<T, double> || std::is_same_v<T, unsigned int>);
    const MPI_Datatype type = std::is_same_v<T, double> ? MPI_DOUBLE : MPI_UNSIGNED;
    MPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()), type, op, comm);
    return values;
  }

  template <typename T> std::vector<T> all_sum(const std::vector<T> &v, MPI_Comm comm)
  {
    return all_reduce(v, MPI_SUM, comm);
  }

  template <typename T> std::vector<T> all_max(const std::vector<T> &v, MPI_Comm comm)
  {
    return all_reduce(v, MPI_MAX, comm);
  }
} // namespace protonfem
