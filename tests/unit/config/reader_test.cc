// The file as a whole: YAML syntax errors, unknown and duplicate keys,
// wrong node kinds, and the promise that an invalid file yields no config.

#include <cstdio>
#include <fstream>

#include "tests/unit/config/test_util.h"

namespace tandem::config {
namespace {

using test::has_error;
using test::load;
using test::only_error;

TEST(ConfigReader, EmptyFileIsTheDefaultConfig) {
  LoadResult r = load("");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(*r.config == Config{});
}

TEST(ConfigReader, YamlSyntaxErrorHasItsPosition) {
  // Line 3 opens a flow list that is never closed; yaml-cpp notices at the
  // end of input, line 4 column 1.
  LoadResult r = load(R"(
services:
  - name: web
    port: [80
)");
  EXPECT_TRUE(only_error(r, 4, 1, "", "YAML syntax error: end of sequence flow not found"));
}

TEST(ConfigReader, BadIndentationIsASyntaxErrorAtTheKey) {
  LoadResult r = load("global:\n  log_level: info\n   run_dir: /run\n");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].pos.line, 3);
  EXPECT_NE(r.errors[0].message.find("YAML syntax error"), std::string::npos);
  EXPECT_FALSE(r.config.has_value());
}

TEST(ConfigReader, RootMustBeAMapping) {
  EXPECT_TRUE(only_error(load("- a\n- b\n"), 1, 1, "", "expected a mapping, got a list"));
}

TEST(ConfigReader, UnknownTopLevelKeySuggestsTheClosest) {
  LoadResult r = load(R"(
global:
  log_level: info
servics: []
)");
  EXPECT_TRUE(only_error(r, 3, 1, "servics", "unknown key 'servics' (did you mean 'services'?)"));
}

TEST(ConfigReader, UnknownKeyWithoutCloseMatchListsTheValidKeys) {
  LoadResult r = load(R"(
control:
  banana: 1
)");
  EXPECT_TRUE(only_error(r, 2, 3, "control.banana",
                         "unknown key 'banana'; valid keys here: socket_group, socket_mode, "
                         "max_message_size"));
}

TEST(ConfigReader, TransposedLettersAreSuggested) {
  LoadResult r = load(R"(
services:
  - name: web
    address: 198.18.0.100
    port: 80
    real_servers:
      - address: 198.18.1.11
        wieght: 3
)");
  EXPECT_TRUE(only_error(r, 7, 9, "services[0].real_servers[0].wieght",
                         "unknown key 'wieght' (did you mean 'weight'?)"));
}

TEST(ConfigReader, DuplicateKeyNamesTheFirstLine) {
  LoadResult r = load(R"(
global:
  log_level: info
  log_level: debug
)");
  EXPECT_TRUE(
      only_error(r, 3, 3, "global.log_level", "duplicate key 'log_level' (first given on line 2)"));
}

TEST(ConfigReader, SecondDocumentIsRefused) {
  LoadResult r = load("global: {}\n---\nglobal: {}\n");
  // Reported where the second document starts: its "---" marker.
  EXPECT_TRUE(only_error(r, 2, 1, "", "more than one YAML document"));
}

TEST(ConfigReader, SectionOfTheWrongKind) {
  LoadResult r = load(R"(
global: [1, 2]
services: {}
)");
  EXPECT_TRUE(has_error(r, 1, 9, "global", "expected a mapping, got a list"));
  EXPECT_TRUE(has_error(r, 2, 11, "services", "expected a list, got a mapping"));
  EXPECT_EQ(r.errors.size(), 2u);
}

TEST(ConfigReader, EmptyValueIsReportedAtItsKey) {
  LoadResult r = load(R"(
global:
  max_connections:
  log_level: info
)");
  EXPECT_TRUE(only_error(r, 2, 3, "global.max_connections",
                         "expected an integer in 1024..268435456, got nothing"));
}

TEST(ConfigReader, NonScalarKeyIsRefused) {
  LoadResult r = load("global:\n  ? [a, b]\n  : 1\n");
  EXPECT_TRUE(only_error(r, 2, 5, "global", "keys must be plain names"));
}

// Every error in one pass, sorted by position, and no config to apply.
TEST(ConfigReader, ReportsAllErrorsInFileOrderAndNoConfig) {
  LoadResult r = load(R"(
control:
  socket_mode: "999"
global:
  log_level: loud
  udp_timeout: 5x
  sloppy_tcp: maybe
)");
  ASSERT_EQ(r.errors.size(), 4u) << format_diagnostics(r.errors);
  EXPECT_FALSE(r.config.has_value());
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.errors[0].pos.line, 2);
  EXPECT_EQ(r.errors[1].pos.line, 4);
  EXPECT_EQ(r.errors[2].pos.line, 5);
  EXPECT_EQ(r.errors[3].pos.line, 6);
  EXPECT_TRUE(has_error(r, 4, 14, "global.log_level",
                        "unknown value 'loud'; expected one of: debug, info, notice, warning, "
                        "error"));
  EXPECT_TRUE(has_error(r, 6, 15, "global.sloppy_tcp", "expected true or false, got 'maybe'"));
}

TEST(ConfigReader, DiagnosticsFormatAsFileLineColumn) {
  LoadResult r = load("global:\n  log_level: loud\n");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].to_string().substr(0, 39), "test.yaml:2:14: global.log_level: unkno");
}

TEST(ConfigReader, LoadFileReportsAMissingFile) {
  LoadResult r = load_file("/nonexistent/tandem-config-test.yaml");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].pos.file, "/nonexistent/tandem-config-test.yaml");
  EXPECT_EQ(r.errors[0].pos.line, 0);
  EXPECT_NE(r.errors[0].message.find("cannot open file"), std::string::npos);
  EXPECT_FALSE(r.config.has_value());
}

TEST(ConfigReader, LoadFileNamesTheFileInDiagnostics) {
  std::string path = ::testing::TempDir() + "tandem-config-reader-test.yaml";
  {
    std::ofstream out(path);
    out << "global:\n  log_levle: info\n";
  }
  LoadResult r = load_file(path);
  std::remove(path.c_str());
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].pos.file, path);
  EXPECT_EQ(r.errors[0].pos.line, 2);
  EXPECT_EQ(r.errors[0].pos.column, 3);
  EXPECT_NE(r.errors[0].message.find("did you mean 'log_level'"), std::string::npos);
}

// Hostile input never throws out of the loader.
TEST(ConfigReader, GarbageNeverThrows) {
  const char* inputs[] = {"\x01\x02\x03",
                          "[[[[[[",
                          "{a: [}",
                          "&a [*a]",
                          "? ? ?",
                          "\t\tx: y",
                          "services: [{name: x, real_servers: [{monitors: [{use: [1]}]}]}]",
                          "vrrp: {instances: [7, null, {}]}",
                          "alerts: {senders: {x: []}}"};
  for (const char* in : inputs) {
    LoadResult r;
    EXPECT_NO_THROW(r = load_string(in, "x")) << in;
    EXPECT_FALSE(r.ok()) << in;
  }
}

}  // namespace
}  // namespace tandem::config
