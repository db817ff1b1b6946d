#include "json_writer.h"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace protonfem
{
  JsonValue::JsonValue(const double v)
  {
    if (!std::isfinite(v))
      text = "null"; // JSON has no NaN/inf
    else
      {
        char buf[32];
        std::snprintf(buf, sizeof(buf), "%.17g", v);
        text = buf;
      }
  }

  JsonValue::JsonValue(const std::string &s)
  {
    std::string out = "\"";
    for (const char c : s)
      switch (c)
        {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          if (static_cast<unsigned char>(c) < 0x20)
            {
              char buf[8];
              std::snprintf(buf, sizeof(buf), "\\u%04x", c);
              out += buf;
            }
          else
            out += c;
        }
    text = out + "\"";
  }

  JsonObject &JsonObject::add(const std::string &key, const JsonValue &value)
  {
    entries.emplace_back(JsonValue(key).str(), value.str());
    return *this;
  }

  JsonObject &JsonObject::add(const std::string &key, const JsonObject &value)
  {
    entries.emplace_back(JsonValue(key).str(), value.str(0));
    return *this;
  }

  JsonObject &JsonObject::add(const std::string &key, const std::vector<JsonObject> &values)
  {
    std::string s = "[";
    for (std::size_t i = 0; i < values.size(); ++i)
      s += (i ? ", " : "") + values[i].str(0);
    entries.emplace_back(JsonValue(key).str(), s + "]");
    return *this;
  }

  std::string JsonObject::str(const int indent) const
  {
    const std::string pad(indent, ' ');
    const std::string nl = indent ? "\n" : "";
    std::string       s  = "{" + nl;
    for (std::size_t i = 0; i < entries.size(); ++i)
      {
        s += pad + entries[i].first + ": " + entries[i].second +
             (i + 1 < entries.size() ? "," : "") + (indent ? nl : " ");
      }
    return s + "}";
  }
} // namespace protonfem
