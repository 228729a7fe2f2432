#include "cli/args.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <limits>

#include "core/duration.h"
#include "core/edit_distance.h"
#include "core/log.h"

namespace cloakroom::cli {
namespace {

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

// "a", "a or b", "a, b or c".
std::string join_or(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i)
    out += (i == 0 ? "" : i + 1 == items.size() ? " or " : ", ") + items[i];
  return out;
}

// The distinct words that follow `prefix` ("" or "user") in the table's paths, in table order.
std::vector<std::string_view> next_words(std::span<const CommandSpec> table, std::string_view prefix) {
  std::vector<std::string_view> out;
  for (const CommandSpec& c : table) {
    std::string_view rest = c.path;
    if (!prefix.empty()) {
      if (!rest.starts_with(prefix) || rest.size() <= prefix.size() || rest[prefix.size()] != ' ') continue;
      rest.remove_prefix(prefix.size() + 1);
    }
    std::string_view word = rest.substr(0, rest.find(' '));
    if (std::find(out.begin(), out.end(), word) == out.end()) out.push_back(word);
  }
  return out;
}

const CommandSpec* find_command(std::span<const CommandSpec> table, std::string_view path) {
  for (const CommandSpec& c : table)
    if (c.path == path) return &c;
  return nullptr;
}

// By long name, or by short name when `name` is one letter given after a single dash.
const OptionSpec* find_option(std::span<const OptionSpec> options, std::string_view name, bool short_form) {
  for (const OptionSpec& o : options)
    if (short_form ? (name.size() == 1 && o.short_name == name[0]) : o.name == name) return &o;
  return nullptr;
}

struct OperandCount {
  std::size_t min = 0;
  std::size_t max = 0;
  std::vector<std::string_view> names;
};

// From the help form: "NAME" one, "[ID]" optional, "[COMMAND...]" any number.
OperandCount operand_count(std::string_view operands) {
  OperandCount n;
  while (!operands.empty()) {
    std::size_t space = operands.find(' ');
    std::string_view word = operands.substr(0, space);
    operands = space == std::string_view::npos ? std::string_view() : operands.substr(space + 1);
    if (word.empty()) continue;
    n.names.push_back(word);
    if (word.find("...") != std::string_view::npos) n.max = std::numeric_limits<std::size_t>::max();
    else ++n.max;
    if (!word.starts_with('[')) ++n.min;
  }
  return n;
}

// "cloakroom user --help lists the user commands": where to look next.
std::string help_pointer(const Args& args) {
  if (args.command) return "cloakroom " + args.path + " --help lists its options";
  if (args.path.empty()) return "cloakroom --help lists the commands";
  return "cloakroom " + args.path + " --help lists the " + args.path + " commands";
}

Error usage(std::string sentence) { return Error{ErrorCode::invalid_field, std::move(sentence)}; }

Error unknown_command(std::span<const CommandSpec> table, const Args& args, const std::string& word) {
  const std::vector<std::string_view> next = next_words(table, args.path);
  const std::string given = args.path.empty() ? word : args.path + " " + word;
  std::vector<std::string> near;
  for (std::string_view w : closest(word, next))
    near.push_back(quoted(args.path.empty() ? std::string(w) : args.path + " " + std::string(w)));
  if (!near.empty())
    return usage("unknown command " + quoted(given) + " (did you mean " + join_or(near) + "?); " + help_pointer(args));
  if (args.path.empty()) return usage("unknown command " + quoted(given) + "; " + help_pointer(args));
  std::vector<std::string> all(next.begin(), next.end());
  std::string list;
  for (std::size_t i = 0; i < all.size(); ++i) list += (i == 0 ? "" : i + 1 == all.size() ? " and " : ", ") + all[i];
  return usage("unknown command " + quoted(given) + "; the " + args.path + " commands are " + list);
}

Error unknown_option(std::span<const CommandSpec> table, const Args& args, const std::string& word,
                     std::string_view name) {
  std::vector<std::string_view> names;
  if (args.command)
    for (const OptionSpec& o : args.command->options) names.push_back(o.name);
  for (const OptionSpec& o : global_options()) names.push_back(o.name);
  std::vector<std::string> near;
  for (std::string_view n : closest(name, names)) near.push_back("--" + std::string(n));
  std::string sentence = "unknown option " + word;
  if (args.command) sentence += " for " + quoted(args.command->path);
  if (!near.empty()) return usage(sentence + " (did you mean " + join_or(near) + "?); " + help_pointer(args));
  // An option of some command, given before that command's words.
  if (!args.command)
    for (const CommandSpec& c : table)
      if (find_option(c.options, name, false))
        return usage(sentence + " before a command; a command's options go after its name, as in " + usage_line(c));
  return usage(sentence + "; " + help_pointer(args));
}

}  // namespace

std::span<const OptionSpec> global_options() {
  static const std::vector<OptionSpec> kGlobals = {
      {"config", "FILE", "read this TOML file (default: $CLOAKROOM_CONFIG, else none)"},
      {"data-dir", "DIR", "where the users, sessions and keys are kept (default ./cloakroom-data)"},
      // Why the warning: argv is readable by every local user (ps, /proc/PID/cmdline).
      {"store-users", "URL", "store.users URL; ps shows it: a password goes in CLOAKROOM_STORE_USERS"},
      {"store-sessions", "URL", "store.sessions URL; ps shows it: a password goes in CLOAKROOM_STORE_SESSIONS"},
      {"help", "", "show the help of the command named before it", false, false, 'h'},
      {"version", "", "print the version"},
  };
  return kGlobals;
}

std::optional<std::string> Args::get(const std::string& name) const {
  auto it = flags.find(name);
  if (it == flags.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> Args::all(const std::string& name) const {
  std::vector<std::string> out;
  auto [b, e] = flags.equal_range(name);
  for (auto it = b; it != e; ++it) out.push_back(it->second);
  return out;
}

std::string_view Args::verb() const {
  std::string_view p = path;
  auto space = p.rfind(' ');
  return space == std::string_view::npos ? p : p.substr(space + 1);
}

std::vector<std::string_view> closest(std::string_view word, std::span<const std::string_view> candidates) {
  constexpr std::size_t kFar = std::numeric_limits<std::size_t>::max();
  std::size_t best = kFar;
  std::vector<std::string_view> out;
  for (std::string_view c : candidates) {
    // Why these bounds: one slip in a short word, two in a longer one; more
    // than that suggests a word that has nothing to do with the typo.
    const std::size_t allowed = c.size() <= 4 ? 1 : 2;
    std::size_t score = edit_distance(word, c);
    if (score > allowed) score = kFar;
    if (!word.empty() && word.size() < c.size() && c.starts_with(word)) score = std::min<std::size_t>(score, 1);
    if (score == kFar || score > best) continue;
    if (score < best) out.clear();
    best = score;
    out.push_back(c);
  }
  return out;
}

std::string usage_line(const CommandSpec& command) {
  std::string out = "cloakroom " + std::string(command.path);
  if (!command.operands.empty()) out += " " + std::string(command.operands);
  for (const OptionSpec& o : command.options) {
    std::string form = "--" + std::string(o.name) + (o.value.empty() ? "" : " " + std::string(o.value));
    out += " " + (o.required ? form : "[" + form + "]") + (o.repeat ? "..." : "");
  }
  return out;
}

namespace {
Result<Args> parse_words(std::span<const CommandSpec> table, const std::vector<std::string>& words, bool lenient);
}  // namespace

Result<Args> parse_args(std::span<const CommandSpec> table, int argc, const char* const* argv) {
  const std::vector<std::string> words(argv + 1, argv + argc);
  // With --help (or --version) only the command words matter: help is shown
  // for what was named, whatever else is wrong with the line.
  bool lenient = false;
  for (const std::string& w : words) {
    if (w == "--") break;
    lenient = lenient || w == "-h" || w == "--help" || w == "--version";
  }
  auto args = parse_words(table, words, lenient);
  // A help word that was only an option's value (--wait -h) asks for no
  // help: the line is checked in full, so a command never runs unchecked.
  if (lenient && args && !args->has("help") && !args->has("version")) return parse_words(table, words, false);
  return args;
}

namespace {
Result<Args> parse_words(std::span<const CommandSpec> table, const std::vector<std::string>& words, bool lenient) {
  Args args;
  bool only_operands = false;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& word = words[i];
    if (!only_operands && word == "--") {
      only_operands = true;
      continue;
    }
    // Why a single-dash word where an operand may stand is one: session ids
    // and kids are base64url and may begin with '-' ("-h" stays help).
    const bool dash_operand = word.size() > 2 && word[0] == '-' && word[1] != '-' && args.command &&
                              args.operands.size() < operand_count(args.command->operands).max;
    if (only_operands || word.size() < 2 || word[0] != '-' || dash_operand) {
      if (args.command || (only_operands && lenient)) {
        args.operands.push_back(word);
        continue;
      }
      const std::vector<std::string_view> next = next_words(table, args.path);
      if (std::find(next.begin(), next.end(), word) == next.end()) return unknown_command(table, args, word);
      args.path = args.path.empty() ? word : args.path + " " + word;
      args.command = find_command(table, args.path);
      continue;
    }
    const bool short_form = word[1] != '-';
    std::string name = word.substr(short_form ? 1 : 2);
    std::optional<std::string> value;
    if (auto eq = name.find('='); !short_form && eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    const OptionSpec* spec = args.command ? find_option(args.command->options, name, short_form) : nullptr;
    if (!spec) spec = find_option(global_options(), name, short_form);
    if (!spec) {
      // An id that begins with "--" (session ids and kids are base64url),
      // where a command takes an ID or KID: no option name has an upper-case
      // letter, a digit or '_', and an id of 22 characters without one is a
      // 1-in-10^7 draw.
      const bool id_like = !short_form && !value && args.command &&
                           args.command->operands.find("ID") != std::string_view::npos &&
                           args.operands.size() < operand_count(args.command->operands).max &&
                           std::any_of(name.begin(), name.end(), [](char c) {
                             return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
                           });
      if (id_like) {
        args.operands.push_back(word);
        continue;
      }
      if (lenient) continue;
      return unknown_option(table, args, short_form ? word : "--" + name, name);
    }
    const std::string shown = "--" + std::string(spec->name);
    if (spec->value.empty() && value) return usage("option " + shown + " takes no value");
    if (!spec->value.empty() && !value) {
      if (i + 1 >= words.size()) {
        if (lenient) continue;
        return usage("option " + shown + " needs a value (" + std::string(spec->value) + ")");
      }
      value = words[++i];
    }
    if (!spec->repeat && args.has(std::string(spec->name)) && !lenient)
      return usage("option " + shown + " is given twice; give it once");
    // Why here: a DURATION is checked before any command runs, so a typo in
    // `--wait` can never be noticed only after the change is written.
    if (spec->value == "DURATION" && value && !lenient)
      if (auto d = parse_duration(*value); !d)
        return usage("option " + shown + " takes a duration, not " + quoted(value->substr(0, 40)) + "; " +
                     std::string(d.error().text()));
    args.flags.emplace(spec->name, value.value_or(""));
  }
  if (lenient) return args;

  if (!args.command) {
    if (args.path.empty()) return args;  // nothing named: the caller shows the overview
    std::vector<std::string> verbs;
    for (std::string_view w : next_words(table, args.path)) verbs.emplace_back(w);
    return usage(quoted(args.path) + " needs a command: " + join_or(verbs) + " (cloakroom " + args.path +
                 " --help tells more)");
  }
  const CommandSpec& c = *args.command;
  const OperandCount count = operand_count(c.operands);
  if (args.operands.size() < count.min)
    return usage(quoted(c.path) + " needs " + std::string(count.names[args.operands.size()]) + "; usage: " + usage_line(c));
  if (args.operands.size() > count.max)
    return usage("unexpected argument " + quoted(args.operands[count.max]) + " for " + quoted(c.path) +
                 (count.max == 0 ? ", which takes none" : "") + "; usage: " + usage_line(c));
  for (const OptionSpec& o : c.options)
    if (o.required && !args.has(std::string(o.name)))
      return usage(quoted(c.path) + " needs --" + std::string(o.name) + " " + std::string(o.value) + "; usage: " +
                   usage_line(c));
  return args;
}
}  // namespace

Result<Config> config_from(const Args& args) {
  ConfigSources src;
  if (auto f = args.get("config")) src.file = *f;
  else if (const char* env = std::getenv("CLOAKROOM_CONFIG"); env && *env) src.file = env;
  src.env = cloakroom_environment();
  if (auto d = args.get("data-dir")) src.flags["data_dir"] = *d;
  if (auto l = args.get("listen")) src.flags["listen"] = *l;
  if (auto u = args.get("public-url")) src.flags["public_url"] = *u;
  if (auto u = args.get("store-users")) src.flags["store.users"] = *u;
  if (auto s = args.get("store-sessions")) src.flags["store.sessions"] = *s;
  auto config = load_config(src);
  if (config) set_log_threshold(config->log.level);  // before the command logs anything
  return config;
}

int exit_code_for(const Error& e) { return e.code == ErrorCode::config_invalid ? kExitUsage : kExitNo; }

int stores_failure(const Error& e) { return fail(e); }

int fail(int code, std::string_view sentence) {
  std::cerr << "cloakroom: " << sentence;
  if (!sentence.empty() && sentence.back() != '.') std::cerr << '.';
  std::cerr << '\n';
  return code;
}

int fail(const Error& error) { return fail(exit_code_for(error), error.text()); }

}  // namespace cloakroom::cli
