// The one exception type for bad user input (decks, material files, meshes).
// The application catches it before any output is written, prints the message
// and exits with a non-zero code; numerical failures use other exceptions.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace protonfem
{
  /// A number as it appears in an error message (shortest default form).
  inline std::string value_text(const double v)
  {
    std::ostringstream s;
    s << v;
    return s.str();
  }

  class InputError : public std::runtime_error
  {
  public:
    /// A message naming where (file), what (parameter), the offending value and
    /// what would have been allowed.
    InputError(const std::string &file, const std::string &parameter, const std::string &value,
               const std::string &allowed)
        : std::runtime_error(compose(file, parameter, value, allowed))
    {
    }

    /// A free-form message for errors that do not fit the pattern above
    /// (e.g. a file that cannot be opened).
    explicit InputError(const std::string &message) : std::runtime_error(message) {}

  private:
    static std::string compose(const std::string &file, const std::string &parameter,
                               const std::string &value, const std::string &allowed)
    {
      std::ostringstream s;
      s << "input error in " << (file.empty() ? "<input>" : file) << ": parameter '" << parameter
        << "' has value '" << value << "'; allowed: " << allowed;
      return s.str();
    }
  };
} // namespace protonfem
