#include "common/ipc/message.h"

#include <gtest/gtest.h>

#include <string>

namespace tandem::ipc {
namespace {

std::string reason(const std::variant<Request, ParseError>& r) {
  auto* e = std::get_if<ParseError>(&r);
  return e ? e->reason : "";
}

TEST(Request, ParsesIdCmdAndArgs) {
  auto r = parse_request(R"({"id":7,"cmd":"status","args":{"verbose":true}})");
  ASSERT_TRUE(std::holds_alternative<Request>(r)) << reason(r);
  const auto& req = std::get<Request>(r);
  EXPECT_EQ(req.id, 7u);
  EXPECT_EQ(req.cmd, "status");
  EXPECT_EQ(req.args, Json({{"verbose", true}}));
}

TEST(Request, ArgsDefaultToAnEmptyObject) {
  auto r = parse_request(R"({"cmd":"ping","id":0})");
  ASSERT_TRUE(std::holds_alternative<Request>(r));
  EXPECT_EQ(std::get<Request>(r).args, Json::object());
}

TEST(Request, RefusesWhatIsNotAWellFormedRequest) {
  EXPECT_EQ(reason(parse_request("")), "malformed JSON");
  EXPECT_EQ(reason(parse_request("{\"id\":1,")), "malformed JSON");
  EXPECT_EQ(reason(parse_request("hello")), "malformed JSON");
  EXPECT_EQ(reason(parse_request("[1,2]")), "message is not a JSON object");
  EXPECT_EQ(reason(parse_request("42")), "message is not a JSON object");
  EXPECT_EQ(reason(parse_request(R"({"id":1})")), "missing or invalid \"cmd\"");
  EXPECT_EQ(reason(parse_request(R"({"id":1,"cmd":""})")), "missing or invalid \"cmd\"");
  EXPECT_EQ(reason(parse_request(R"({"id":1,"cmd":5})")), "missing or invalid \"cmd\"");
  EXPECT_EQ(reason(parse_request(R"({"cmd":"x"})")), "missing or invalid \"id\"");
  EXPECT_EQ(reason(parse_request(R"({"id":-1,"cmd":"x"})")), "missing or invalid \"id\"");
  EXPECT_EQ(reason(parse_request(R"({"id":1.5,"cmd":"x"})")), "missing or invalid \"id\"");
  EXPECT_EQ(reason(parse_request(R"({"id":1,"cmd":"x","args":[]})")), "\"args\" is not an object");
  // Two objects on one line are not one message.
  EXPECT_EQ(reason(parse_request(R"({"id":1,"cmd":"x"}{"id":2,"cmd":"y"})")), "malformed JSON");
}

TEST(Request, EmbeddedNulAndInvalidUtf8AreRefused) {
  const std::string nul("{\"id\":1,\"cmd\":\"st\0atus\"}", 24);
  EXPECT_EQ(reason(parse_request(nul)), "malformed JSON");
  EXPECT_EQ(reason(parse_request("{\"id\":1,\"cmd\":\"\xff\xfe\"}")), "malformed JSON");
}

TEST(Request, DeepNestingIsRefusedBeforeItCanHurt) {
  std::string ok = R"({"id":1,"cmd":"x","args":{"a":)";
  ok += std::string(kMaxJsonDepth - 3, '[') + std::string(kMaxJsonDepth - 3, ']') + "}}";
  EXPECT_TRUE(std::holds_alternative<Request>(parse_request(ok))) << reason(parse_request(ok));
  std::string deep = R"({"id":1,"cmd":"x","args":{"a":)";
  deep += std::string(100000, '[') + std::string(100000, ']') + "}}";
  EXPECT_EQ(reason(parse_request(deep)), "nesting deeper than 32");
}

TEST(Encode, ResponsesAndEventsAreSingleLines) {
  EXPECT_EQ(encode_response(Response{3, true, Json{{"a", 1}}, ""}),
            "{\"id\":3,\"ok\":true,\"result\":{\"a\":1}}\n");
  EXPECT_EQ(encode_response(Response{4, false, Json::object(), "no\nway"}),
            "{\"error\":\"no\\nway\",\"id\":4,\"ok\":false}\n");
  EXPECT_EQ(encode_event(Event{"health.down", 1.5, Json{{"rs", "x"}}}),
            "{\"data\":{\"rs\":\"x\"},\"event\":\"health.down\",\"time\":1.5}\n");
}

TEST(Encode, InvalidUtf8IsReplacedNotThrown) {
  std::string line;
  EXPECT_NO_THROW(line = encode_response(Response{1, false, Json::object(), "bad \xff cmd"}));
  EXPECT_NE(line.find("bad \xEF\xBF\xBD cmd"), std::string::npos);  // U+FFFD
}

TEST(Reply, RoundTripsResponsesAndEvents) {
  auto r = parse_reply(encode_response(Response{9, true, Json{{"x", 2}}, ""}));
  ASSERT_TRUE(std::holds_alternative<Response>(r));
  EXPECT_EQ(std::get<Response>(r).id, 9u);
  EXPECT_EQ(std::get<Response>(r).result, Json({{"x", 2}}));
  auto f = parse_reply(encode_response(Response{9, false, Json::object(), "boom"}));
  ASSERT_TRUE(std::holds_alternative<Response>(f));
  EXPECT_FALSE(std::get<Response>(f).ok);
  EXPECT_EQ(std::get<Response>(f).error, "boom");
  auto e = parse_reply(encode_event(Event{"vrrp.role", 2.0, Json{{"role", "master"}}}));
  ASSERT_TRUE(std::holds_alternative<Event>(e));
  EXPECT_EQ(std::get<Event>(e).topic, "vrrp.role");
  EXPECT_EQ(std::get<Event>(e).time, 2.0);
}

TEST(Reply, RefusesIncompleteResponses) {
  EXPECT_TRUE(std::holds_alternative<ParseError>(parse_reply(R"({"id":1})")));
  EXPECT_TRUE(std::holds_alternative<ParseError>(parse_reply(R"({"id":1,"ok":false})")));
  EXPECT_TRUE(std::holds_alternative<ParseError>(parse_reply(R"({"event":3})")));
}

TEST(Topics, PatternsMatchExactlyOrByDottedPrefix) {
  EXPECT_TRUE(topic_matches("*", "anything"));
  EXPECT_TRUE(topic_matches("health.*", "health.down"));
  EXPECT_TRUE(topic_matches("health.*", "health.down.web"));
  EXPECT_FALSE(topic_matches("health.*", "health"));
  EXPECT_FALSE(topic_matches("health.*", "healthy.down"));
  EXPECT_TRUE(topic_matches("vrrp.role", "vrrp.role"));
  EXPECT_FALSE(topic_matches("vrrp.role", "vrrp.roles"));
}

}  // namespace
}  // namespace tandem::ipc

namespace tandem::ipc {
namespace {

TEST(Diagnostics, CarryPositionKeyAndOperatorText) {
  const Json j = diagnostics_to_json({Diagnostic{{"a.yaml", 3, 7}, "sync.port", "out of range"}});
  EXPECT_EQ(j, Json::parse(R"([{"file":"a.yaml","line":3,"column":7,"key":"sync.port",
      "message":"out of range","text":"a.yaml:3:7: sync.port: out of range"}])"));
}

}  // namespace
}  // namespace tandem::ipc
