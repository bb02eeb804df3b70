#pragma once
// The node walker: typed, positioned reads over a yaml-cpp tree. Every read
// that fails records a Diagnostic (file:line:column, key path, what was
// expected) and returns nullopt, so a section parser keeps going and one pass
// reports every error in the file. Nothing here throws.

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/config/names.h"
#include "common/config/suggest.h"
#include "common/net/address.h"
#include "common/util/clock.h"
#include "common/util/diag.h"

namespace tandem::config::detail {

class Diags {
 public:
  explicit Diags(std::string file) : file_(std::move(file)) {}
  void error(const YAML::Mark& mark, std::string path, std::string message);
  SourcePos pos(const YAML::Mark& mark) const;
  const std::vector<Diagnostic>& list() const { return list_; }
  std::vector<Diagnostic> take() { return std::move(list_); }

 private:
  std::string file_;
  std::vector<Diagnostic> list_;
};

std::string quote(std::string_view text);
std::string join(std::span<const std::string_view> words);

class Value {
 public:
  // `fallback` positions a value that has none of its own (an empty value).
  Value(Diags& diags, const YAML::Node& node, std::string path, const YAML::Mark& fallback);

  const std::string& path() const { return path_; }
  const YAML::Mark& mark() const { return mark_; }
  Diags& diags() const { return *diags_; }
  bool is_null() const { return node_.IsNull(); }
  bool is_map() const { return node_.IsMap(); }
  bool is_seq() const { return node_.IsSequence(); }
  bool is_scalar() const { return node_.IsScalar(); }
  // The raw scalar text ("" for non-scalars).
  std::string text() const { return is_scalar() ? node_.Scalar() : std::string(); }

  void error(std::string message) const;
  std::string kind() const;  // "a mapping", "a list", "a scalar", "nothing"
  std::string child_path(std::string_view key) const;

  std::optional<std::string> string() const;
  std::optional<std::int64_t> integer(std::int64_t lo, std::int64_t hi) const;
  std::optional<bool> boolean() const;
  std::optional<Duration> duration(Duration lo, Duration hi) const;
  std::optional<net::Ipv4> ipv4() const;
  std::optional<net::Ipv4Prefix> prefix() const;
  std::optional<std::string> absolute_path() const;

  template <class E>
  std::optional<E> enumeration() const {
    auto s = string();
    if (!s) return std::nullopt;
    if (auto v = from_string<E>(*s)) return v;
    std::vector<std::string_view> names;
    for (const auto& e : Names<E>::all) names.push_back(e.name);
    std::string message = "unknown value " + quote(*s);
    if (auto best = did_you_mean(*s, names)) message += " (did you mean " + quote(*best) + "?)";
    error(message + "; expected one of: " + join(names));
    return std::nullopt;
  }

  // Sequence elements with their paths; a null value is an empty list, and a
  // lone scalar counts as a one-element list when `scalar_ok`.
  std::vector<Value> items(bool scalar_ok = false) const;

  // Mapping entries in file order; reports duplicate and non-scalar keys and
  // leaves them out. A null value is an empty map.
  struct Entry;
  std::vector<Entry> entries() const;

  Value child(std::string_view key, const YAML::Node& node, const YAML::Mark& key_mark) const;

  // The value under `key` of a mapping, without any diagnostics: for
  // looking at a discriminator (a monitor's `type`) before choosing the keys
  // that are valid around it.
  std::optional<Value> peek(std::string_view key) const;

 private:
  Diags* diags_;
  YAML::Node node_;
  std::string path_;
  YAML::Mark mark_;
};

struct Value::Entry {
  std::string key;
  YAML::Mark key_mark;
  Value value;
};

// One mapping with a fixed set of keys valid at its place. Construction
// reports a non-mapping, and every key outside `keys` with a did-you-mean.
class Map {
 public:
  Map(const Value& value, std::vector<std::string_view> keys);

  bool valid() const { return valid_; }
  const Value& value() const { return self_; }
  const std::string& path() const { return self_.path(); }
  void error(std::string message) const { self_.error(std::move(message)); }

  bool has(std::string_view key) const { return find(key) != nullptr; }
  std::optional<Value> get(std::string_view key) const;
  // Like get, but reports "missing required key" when absent.
  std::optional<Value> require(std::string_view key) const;

  // Typed reads of optional keys: `out` keeps its default when the key is
  // absent or invalid; the result says whether a valid value was read.
  bool read(std::string_view key, std::string& out) const;
  bool read(std::string_view key, bool& out) const;
  bool read(std::string_view key, Duration& out, Duration lo, Duration hi) const;
  bool read(std::string_view key, net::Ipv4& out) const;
  bool read(std::string_view key, std::vector<std::string>& out) const;  // list or one string
  bool read_path(std::string_view key, std::string& out) const;          // absolute path
  template <class T>
  bool read_int(std::string_view key, T& out, std::int64_t lo, std::int64_t hi) const {
    auto v = get(key);
    if (!v) return false;
    auto i = v->integer(lo, hi);
    if (i) out = static_cast<T>(*i);
    return i.has_value();
  }
  template <class E>
  bool read_enum(std::string_view key, E& out) const {
    auto v = get(key);
    if (!v) return false;
    auto e = v->template enumeration<E>();
    if (e) out = *e;
    return e.has_value();
  }

 private:
  const Value::Entry* find(std::string_view key) const;

  Value self_;
  std::vector<Value::Entry> entries_;
  bool valid_ = false;
};

}  // namespace tandem::config::detail
