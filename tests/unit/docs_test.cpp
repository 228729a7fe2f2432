// Keeps docs/ true: the reference tables in the docs are generated from the
// same lists the code uses, and this test fails when they drift.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "config/config.h"
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

// The packaged example config lists every key at its default.
TEST(Docs, ExampleConfigIsCurrent) {
  EXPECT_EQ(read_file("packaging/cloakroom.toml"), config_example_toml())
      << "Regenerate packaging/cloakroom.toml (scripts/update-doc-tables.py)";
}

}  // namespace
}  // namespace cloakroom
