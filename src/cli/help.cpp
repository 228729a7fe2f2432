#include "cli/help.h"

#include <algorithm>
#include <cctype>
#include <utility>
#include <vector>

namespace cloakroom::cli {
namespace {

using Rows = std::vector<std::pair<std::string, std::string>>;

// "  left    right" lines; a left side wider than the column puts its right
// side on the next line.
std::string columns(const Rows& rows) {
  // Why 30: wide enough for "session revoke [ID]" and "--data-dir DIR", narrow
  // enough that the summaries fit 100 columns.
  constexpr std::size_t kMax = 30;
  std::size_t width = 0;
  for (const auto& [left, right] : rows)
    if (left.size() <= kMax) width = std::max(width, left.size());
  std::string out;
  for (const auto& [left, right] : rows) {
    out += "  " + left;
    if (left.size() > width) out += "\n  " + std::string(width, ' ');
    else out += std::string(width - left.size(), ' ');
    out += "  " + right + "\n";
  }
  return out;
}

Rows option_rows(std::span<const OptionSpec> options) {
  Rows rows;
  for (const OptionSpec& o : options) {
    std::string left = o.short_name ? std::string("-") + o.short_name + ", " : "";
    left += "--" + std::string(o.name) + (o.value.empty() ? "" : " " + std::string(o.value));
    rows.emplace_back(std::move(left), std::string(o.help) + (o.repeat ? " (repeatable)" : ""));
  }
  return rows;
}

std::string command_rows(std::span<const CommandSpec> table, std::string_view group) {
  Rows rows;
  for (const CommandSpec& c : table) {
    if (!group.empty() && !(c.path.starts_with(group) && c.path.size() > group.size() && c.path[group.size()] == ' '))
      continue;
    std::string left(c.path);
    if (!c.operands.empty()) left += " " + std::string(c.operands);
    rows.emplace_back(std::move(left), std::string(c.summary));
  }
  return columns(rows);
}

constexpr std::string_view kExitCodes =
    "Exit status: 0 success, 1 the answer is no (unknown user, store unavailable, no data dir),\n"
    "2 usage or configuration error. Errors are one sentence on stderr.\n";

}  // namespace

std::string overview_help(std::span<const CommandSpec> table, std::string_view version) {
  std::string out = "cloakroom " + std::string(version) +
                    " — sessions, cookies and JWTs in one authentication server\n\n"
                    "usage: cloakroom COMMAND [ARGUMENTS] [OPTIONS]\n\ncommands:\n";
  out += command_rows(table, "");
  out += "\nglobal options (before or after the command):\n" + columns(option_rows(global_options()));
  out += "\nRun `cloakroom COMMAND --help` (for example `cloakroom user add --help`) for a command's\n"
         "options and examples. Revoking commands (session revoke, user disable|enable|passwd|roles|reset-2fa,\n"
         "key generate|rotate|activate|retire) return once every serving process has applied the change.\n\n";
  out += kExitCodes;
  return out;
}

std::string group_help(std::span<const CommandSpec> table, std::string_view group) {
  std::string out = "usage: cloakroom " + std::string(group) + " COMMAND [ARGUMENTS] [OPTIONS]\n\ncommands:\n";
  out += command_rows(table, group);
  out += "\nRun `cloakroom " + std::string(group) + " COMMAND --help` for a command's options and examples.\n";
  return out;
}

std::string command_help(const CommandSpec& command) {
  std::string summary(command.summary);
  if (!summary.empty()) summary[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(summary[0])));
  std::string out = "usage: " + usage_line(command) + "\n\n" + summary + ".\n";
  if (!command.details.empty()) out += "\n" + std::string(command.details) + "\n";
  if (!command.options.empty()) out += "\noptions:\n" + columns(option_rows(command.options));
  out += "\nglobal options:\n" + columns(option_rows(global_options()));
  if (!command.examples.empty()) {
    out += "\nexamples:\n";
    for (std::string_view e : command.examples) out += "  " + std::string(e) + "\n";
  }
  return out;
}

}  // namespace cloakroom::cli
