// Keeps docs/ true: the reference tables in the docs are generated from the
// same lists the code uses, and this test fails when they drift.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "config/config.h"
#include "metrics/metrics.h"

namespace cloakroom {
namespace {

std::string read_doc(const std::string& name) {
  std::ifstream in(std::string(CLOAKROOM_SOURCE_DIR) + "/docs/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// docs/configuration.md carries the generated table of every config key.
TEST(Docs, ConfigurationTableIsCurrent) {
  EXPECT_NE(read_doc("configuration.md").find(config_reference_markdown()), std::string::npos)
      << "Regenerate the table in docs/configuration.md:\n" << config_reference_markdown();
}

// docs/operations.md carries the generated table of every metric.
TEST(Docs, MetricsTableIsCurrent) {
  EXPECT_NE(read_doc("operations.md").find(Metrics::reference_markdown()), std::string::npos)
      << "Regenerate the table in docs/operations.md:\n" << Metrics::reference_markdown();
}

}  // namespace
}  // namespace cloakroom
