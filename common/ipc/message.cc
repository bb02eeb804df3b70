#include "common/ipc/message.h"

namespace tandem::ipc {
namespace {

bool read_id(const Json& object, std::uint64_t& id) {
  auto it = object.find("id");
  if (it == object.end() || !it->is_number_unsigned()) return false;
  id = it->get<std::uint64_t>();
  return true;
}

}  // namespace

std::variant<Json, ParseError> parse_object(std::string_view line) {
  bool too_deep = false;
  Json::parser_callback_t limit = [&too_deep](int depth, Json::parse_event_t, Json&) {
    if (depth > kMaxJsonDepth) too_deep = true;
    return !too_deep;
  };
  Json value = Json::parse(line.begin(), line.end(), limit, /*allow_exceptions=*/false);
  if (too_deep) return ParseError{"nesting deeper than " + std::to_string(kMaxJsonDepth)};
  if (value.is_discarded()) return ParseError{"malformed JSON"};
  if (!value.is_object()) return ParseError{"message is not a JSON object"};
  return value;
}

std::variant<Request, ParseError> parse_request(std::string_view line) {
  auto parsed = parse_object(line);
  if (auto* err = std::get_if<ParseError>(&parsed)) return *err;
  Json& object = std::get<Json>(parsed);
  Request request;
  if (!read_id(object, request.id)) return ParseError{"missing or invalid \"id\""};
  auto cmd = object.find("cmd");
  if (cmd == object.end() || !cmd->is_string() || cmd->get_ref<const std::string&>().empty())
    return ParseError{"missing or invalid \"cmd\""};
  request.cmd = cmd->get<std::string>();
  auto args = object.find("args");
  if (args != object.end()) {
    if (!args->is_object()) return ParseError{"\"args\" is not an object"};
    request.args = std::move(*args);
  }
  return request;
}

std::variant<Response, Event, ParseError> parse_reply(std::string_view line) {
  auto parsed = parse_object(line);
  if (auto* err = std::get_if<ParseError>(&parsed)) return *err;
  Json& object = std::get<Json>(parsed);
  if (auto topic = object.find("event"); topic != object.end()) {
    Event event;
    if (!topic->is_string()) return ParseError{"invalid \"event\""};
    event.topic = topic->get<std::string>();
    if (auto t = object.find("time"); t != object.end() && t->is_number())
      event.time = t->get<double>();
    if (auto data = object.find("data"); data != object.end()) event.data = std::move(*data);
    return event;
  }
  Response response;
  if (!read_id(object, response.id)) return ParseError{"missing or invalid \"id\""};
  auto ok = object.find("ok");
  if (ok == object.end() || !ok->is_boolean()) return ParseError{"missing or invalid \"ok\""};
  response.ok = ok->get<bool>();
  if (response.ok) {
    if (auto result = object.find("result"); result != object.end())
      response.result = std::move(*result);
  } else {
    auto error = object.find("error");
    if (error == object.end() || !error->is_string())
      return ParseError{"missing or invalid \"error\""};
    response.error = error->get<std::string>();
  }
  return response;
}

std::string dump_json(const Json& value, int indent) {
  return value.dump(indent, ' ', false, Json::error_handler_t::replace);
}

std::string encode_request(const Request& request) {
  Json object = {{"id", request.id}, {"cmd", request.cmd}, {"args", request.args}};
  return dump_json(object) + '\n';
}

std::string encode_response(const Response& response) {
  Json object = {{"id", response.id}, {"ok", response.ok}};
  if (response.ok)
    object["result"] = response.result;
  else
    object["error"] = response.error;
  return dump_json(object) + '\n';
}

std::string encode_event(const Event& event) {
  Json object = {{"event", event.topic}, {"time", event.time}, {"data", event.data}};
  return dump_json(object) + '\n';
}

Json diagnostics_to_json(const std::vector<Diagnostic>& diags) {
  Json out = Json::array();
  for (const auto& d : diags)
    out.push_back({{"file", d.pos.file},
                   {"line", d.pos.line},
                   {"column", d.pos.column},
                   {"key", d.key_path},
                   {"message", d.message},
                   {"text", d.to_string()}});
  return out;
}

bool topic_matches(std::string_view pattern, std::string_view topic) {
  if (pattern == "*") return true;
  if (pattern.size() >= 2 && pattern.ends_with(".*")) {
    std::string_view prefix = pattern.substr(0, pattern.size() - 1);  // keeps the '.'
    return topic.size() > prefix.size() && topic.starts_with(prefix);
  }
  return pattern == topic;
}

}  // namespace tandem::ipc
