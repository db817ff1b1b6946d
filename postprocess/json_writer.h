// Minimal JSON emitter for the machine-readable run summary (no external
// dependency; keys keep insertion order so summaries diff cleanly).
#pragma once

#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace protonfem
{
  class JsonValue
  {
  public:
    JsonValue() : text("null") {}
    JsonValue(double v);
    JsonValue(int v) : JsonValue(static_cast<long long>(v)) {}
    JsonValue(unsigned int v) : JsonValue(static_cast<long long>(v)) {}
    JsonValue(long long v) : text(std::to_string(v)) {}
    JsonValue(unsigned long v) : text(std::to_string(v)) {}
    JsonValue(unsigned long long v) : text(std::to_string(v)) {}
    JsonValue(bool v) : text(v ? "true" : "false") {}
    JsonValue(const char *s) : JsonValue(std::string(s)) {}
    JsonValue(const std::string &s);

    static JsonValue raw(std::string json)
    {
      JsonValue v;
      v.text = std::move(json);
      return v;
    }
    const std::string &str() const { return text; }

  private:
    std::string text;
  };

  class JsonObject
  {
  public:
    JsonObject &add(const std::string &key, const JsonValue &value);
    JsonObject &add(const std::string &key, const JsonObject &value);
    JsonObject &add(const std::string &key, const std::vector<JsonObject> &values);
    std::string str(int indent = 0) const;

  private:
    std::vector<std::pair<std::string, std::string>> entries;
  };
} // namespace protonfem
