#include "common/config/reader.h"

#include <charconv>

#include "common/config/duration.h"

namespace tandem::config::detail {
namespace {

const char* kind_of(const YAML::Node& node) {
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a list";
  if (node.IsNull()) return "nothing";
  return "a scalar";
}

std::string lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

}  // namespace

void Diags::error(const YAML::Mark& mark, std::string path, std::string message) {
  list_.push_back(Diagnostic{pos(mark), std::move(path), std::move(message)});
}

SourcePos Diags::pos(const YAML::Mark& mark) const {
  if (mark.line < 0 || mark.column < 0) return SourcePos{file_, 0, 0};
  return SourcePos{file_, mark.line + 1, mark.column + 1};
}

std::string quote(std::string_view text) {
  return "'" + std::string(text) + "'";
}

std::string join(std::span<const std::string_view> words) {
  std::string out;
  for (std::string_view w : words) {
    if (!out.empty()) out += ", ";
    out += w;
  }
  return out;
}

Value::Value(Diags& diags, const YAML::Node& node, std::string path, const YAML::Mark& fallback)
    : diags_(&diags), node_(node), path_(std::move(path)), mark_(node_.Mark()) {
  // yaml-cpp places an empty value at the start of the next token, which can
  // be lines away; the key is where the operator has to look.
  if (mark_.line < 0 || node_.IsNull()) mark_ = fallback;
}

void Value::error(std::string message) const {
  diags_->error(mark_, path_, std::move(message));
}

std::string Value::kind() const {
  return kind_of(node_);
}

std::string Value::child_path(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

Value Value::child(std::string_view key, const YAML::Node& node, const YAML::Mark& key_mark) const {
  return Value(*diags_, node, child_path(key), key_mark);
}

std::optional<std::string> Value::string() const {
  if (!is_scalar()) {
    error(std::string("expected a string, got ") + kind_of(node_));
    return std::nullopt;
  }
  return node_.Scalar();
}

std::optional<std::int64_t> Value::integer(std::int64_t lo, std::int64_t hi) const {
  std::string range = std::to_string(lo) + ".." + std::to_string(hi);
  if (!is_scalar()) {
    error("expected an integer in " + range + ", got " + kind_of(node_));
    return std::nullopt;
  }
  const std::string& s = node_.Scalar();
  std::string_view digits = s;
  if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (digits.empty() || ec == std::errc::invalid_argument || end != digits.data() + digits.size()) {
    error("expected an integer in " + range + ", got " + quote(s));
    return std::nullopt;
  }
  if (ec == std::errc::result_out_of_range || v < lo || v > hi) {
    error(s + " is out of range: expected an integer in " + range);
    return std::nullopt;
  }
  return v;
}

std::optional<bool> Value::boolean() const {
  if (is_scalar()) {
    std::string s = lower(node_.Scalar());
    if (s == "true" || s == "yes" || s == "on") return true;
    if (s == "false" || s == "no" || s == "off") return false;
  }
  error("expected true or false, got " + (is_scalar() ? quote(node_.Scalar()) : kind_of(node_)));
  return std::nullopt;
}

std::optional<Duration> Value::duration(Duration lo, Duration hi) const {
  std::string range = format_duration(lo) + " to " + format_duration(hi);
  if (!is_scalar()) {
    error("expected a duration from " + range + ", got " + kind_of(node_));
    return std::nullopt;
  }
  auto d = parse_duration(node_.Scalar());
  if (!d) {
    error("expected a duration such as 250ms, 10s, 5m, 1h, 1d or a number of seconds, got " +
          quote(node_.Scalar()));
    return std::nullopt;
  }
  if (*d < lo || *d > hi) {
    error(quote(node_.Scalar()) + " is out of range: expected a duration from " + range);
    return std::nullopt;
  }
  return d;
}

std::optional<net::Ipv4> Value::ipv4() const {
  auto s = is_scalar() ? std::optional(node_.Scalar()) : std::nullopt;
  if (s) {
    if (auto a = net::Ipv4::parse(*s)) return a;
  }
  error("expected an IPv4 address such as 198.18.0.1, got " + (s ? quote(*s) : kind_of(node_)));
  return std::nullopt;
}

std::optional<net::Ipv4Prefix> Value::prefix() const {
  auto s = is_scalar() ? std::optional(node_.Scalar()) : std::nullopt;
  if (s) {
    if (auto p = net::Ipv4Prefix::parse(*s)) return p;
  }
  error("expected an IPv4 address or prefix such as 198.18.0.100/24, got " +
        (s ? quote(*s) : kind_of(node_)));
  return std::nullopt;
}

std::optional<std::string> Value::absolute_path() const {
  auto s = string();
  if (!s) return std::nullopt;
  if (s->empty() || s->front() != '/') {
    error("expected an absolute path (starting with /), got " + quote(*s));
    return std::nullopt;
  }
  return s;
}

std::vector<Value> Value::items(bool scalar_ok) const {
  std::vector<Value> out;
  if (is_null()) return out;
  if (is_scalar() && scalar_ok) {
    out.push_back(Value(*diags_, node_, path_ + "[0]", mark_));
    return out;
  }
  if (!is_seq()) {
    error(std::string("expected a list, got ") + kind_of(node_));
    return out;
  }
  for (std::size_t i = 0; i < node_.size(); ++i) {
    out.push_back(Value(*diags_, node_[i], path_ + "[" + std::to_string(i) + "]", mark_));
  }
  return out;
}

std::vector<Value::Entry> Value::entries() const {
  std::vector<Entry> out;
  if (is_null()) return out;
  if (!is_map()) {
    error(std::string("expected a mapping, got ") + kind_of(node_));
    return out;
  }
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    // Copies: the iterator hands out a temporary pair.
    const YAML::Node key = it->first;
    const YAML::Node value = it->second;
    if (!key.IsScalar()) {
      diags_->error(key.Mark(), path_,
                    "keys must be plain names, got " + std::string(kind_of(key)));
      continue;
    }
    const std::string& name = key.Scalar();
    bool duplicate = false;
    for (const Entry& seen : out) {
      if (seen.key == name) {
        diags_->error(key.Mark(), child_path(name),
                      "duplicate key " + quote(name) + " (first given on line " +
                          std::to_string(seen.key_mark.line + 1) + ")");
        duplicate = true;
        break;
      }
    }
    if (duplicate) continue;
    out.push_back(Entry{name, key.Mark(), child(name, value, key.Mark())});
  }
  return out;
}

std::optional<Value> Value::peek(std::string_view key) const {
  if (!is_map()) return std::nullopt;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    const YAML::Node k = it->first;
    if (k.IsScalar() && k.Scalar() == key) return child(key, it->second, k.Mark());
  }
  return std::nullopt;
}

Map::Map(const Value& value, std::vector<std::string_view> keys) : self_(value) {
  if (!value.is_null() && !value.is_map()) {
    value.error("expected a mapping, got " + value.kind());
    return;
  }
  valid_ = true;
  for (Value::Entry& e : value.entries()) {
    bool known = false;
    for (std::string_view k : keys) known = known || k == e.key;
    if (!known) {
      std::string message = "unknown key " + quote(e.key);
      if (auto best = did_you_mean(e.key, keys)) {
        message += " (did you mean " + quote(*best) + "?)";
      } else {
        message += "; valid keys here: " + join(keys);
      }
      self_.diags().error(e.key_mark, e.value.path(), message);
      continue;
    }
    entries_.push_back(std::move(e));
  }
}

const Value::Entry* Map::find(std::string_view key) const {
  for (const auto& e : entries_) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

std::optional<Value> Map::get(std::string_view key) const {
  if (const auto* e = find(key)) return e->value;
  return std::nullopt;
}

std::optional<Value> Map::require(std::string_view key) const {
  if (const auto* e = find(key)) return e->value;
  if (valid_) {
    self_.diags().error(self_.mark(), self_.child_path(key), "missing required key " + quote(key));
  }
  return std::nullopt;
}

bool Map::read(std::string_view key, std::string& out) const {
  auto v = get(key);
  if (!v) return false;
  auto s = v->string();
  if (s) out = *s;
  return s.has_value();
}

bool Map::read(std::string_view key, bool& out) const {
  auto v = get(key);
  if (!v) return false;
  auto b = v->boolean();
  if (b) out = *b;
  return b.has_value();
}

bool Map::read(std::string_view key, Duration& out, Duration lo, Duration hi) const {
  auto v = get(key);
  if (!v) return false;
  auto d = v->duration(lo, hi);
  if (d) out = *d;
  return d.has_value();
}

bool Map::read(std::string_view key, net::Ipv4& out) const {
  auto v = get(key);
  if (!v) return false;
  auto a = v->ipv4();
  if (a) out = *a;
  return a.has_value();
}

bool Map::read(std::string_view key, std::vector<std::string>& out) const {
  auto v = get(key);
  if (!v) return false;
  std::vector<std::string> result;
  bool ok = true;
  for (const Value& item : v->items(true)) {
    auto s = item.string();
    if (s) result.push_back(*s);
    ok = ok && s.has_value();
  }
  if (ok) out = std::move(result);
  return ok;
}

bool Map::read_path(std::string_view key, std::string& out) const {
  auto v = get(key);
  if (!v) return false;
  auto s = v->absolute_path();
  if (s) out = *s;
  return s.has_value();
}

}  // namespace tandem::config::detail
