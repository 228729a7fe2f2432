// Keeps docs/ true: the reference tables in the docs are generated from the
// same lists the code uses, and this test fails when they drift.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/audit_log.h"
#include "metrics/metrics.h"

namespace cloakroom {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(std::string(CLOAKROOM_SOURCE_DIR) + "/" + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// docs/configuration.md carries the generated table of every config key.
TEST(Docs, ConfigurationTableIsCurrent) {
  EXPECT_NE(read_file("docs/configuration.md").find(config_reference_markdown()), std::string::npos)
      << "Regenerate the table in docs/configuration.md:\n" << config_reference_markdown();
}

// docs/operations.md carries the generated table of every metric.
TEST(Docs, MetricsTableIsCurrent) {
  EXPECT_NE(read_file("docs/operations.md").find(Metrics::reference_markdown()), std::string::npos)
      << "Regenerate the table in docs/operations.md:\n" << Metrics::reference_markdown();
}

// The rows of the markdown table that starts with `header` in `text`: every
// line from the header on that begins with '|' (empty when there is none).
std::string table_at(const std::string& text, std::string_view header) {
  auto start = text.find(header);
  if (start == std::string::npos) return {};
  std::string out;
  std::istringstream in(text.substr(start));
  for (std::string line; std::getline(in, line) && !line.empty() && line[0] == '|';) out += line + "\n";
  return out;
}

// The first cell of each row below the header and separator, backticks removed.
std::vector<std::string> first_cells(const std::string& table) {
  std::vector<std::string> names;
  std::istringstream in(table);
  std::string line;
  for (int skip = 0; skip < 2 && std::getline(in, line); ++skip) {}
  while (std::getline(in, line)) {
    auto cell = line.substr(1, line.find('|', 1) - 1);
    std::erase(cell, '`');
    std::erase(cell, ' ');
    names.push_back(cell);
  }
  return names;
}

// docs/operations.md lists every audit event, with its level, outcome and
// fields, exactly as the code's list (CLOAKROOM_AUDIT_EVENTS): an event the
// docs lack, one they list that the code does not write, or a changed field
// fails here.
TEST(Docs, AuditEventTableIsCurrent) {
  const std::string expected = audit_reference_markdown();
  const std::string header = expected.substr(0, expected.find('\n'));
  const std::string documented = table_at(read_file("docs/operations.md"), header);
  std::vector<std::string> in_code;
  for (const AuditEventSpec& e : audit_events()) in_code.emplace_back(e.name);
  EXPECT_EQ(first_cells(documented), in_code) << "the events in docs/operations.md and in the code differ";
  EXPECT_EQ(documented, expected) << "Regenerate the table in docs/operations.md:\n" << expected;
}

// The packaged example config lists every key at its default.
TEST(Docs, ExampleConfigIsCurrent) {
  EXPECT_EQ(read_file("packaging/cloakroom.toml"), config_example_toml())
      << "Regenerate packaging/cloakroom.toml (scripts/update-doc-tables.py)";
}

}  // namespace
}  // namespace cloakroom
