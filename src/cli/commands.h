#pragma once
// One function per command group; each returns the process exit code. The
// table (command_table.cpp) names the commands, their operands and options,
// and which function runs each; a function gets its command's Args already
// checked against that description (args.h), so it checks only values.
//
//   return run(argc, argv);                     // main()
//   if (args.verb() == "add") ...               // inside user_command
#include <functional>
#include <optional>
#include <span>
#include <string>

#include "cli/args.h"
#include "config/store_urls.h"
#include "identity/password_change.h"
#include "store/node_registry.h"

namespace cloakroom::cli {

int run(int argc, const char* const* argv);     // dispatch.cpp
std::span<const CommandSpec> command_table();   // command_table.cpp
int help_command(const Args& args);             // dispatch.cpp
int version_command(const Args& args);          // dispatch.cpp
int serve_command(const Args& args);            // serve_command.cpp
int user_command(const Args& args);             // user_command.cpp
int password_command(const Args& args);         // password_command.cpp
int session_command(const Args& args);          // session_command.cpp
int key_command(const Args& args);              // key_command.cpp
int key_rewrap_command(const Args& args);       // key_rewrap.cpp
int token_command(const Args& args);            // token_command.cpp
int node_command(const Args& args);             // node_command.cpp
int store_command(const Args& args);            // store_command.cpp
int config_command(const Args& args);           // config_command.cpp

// After a revoking command: waits until every live serving process has
// applied the change feed up to its current end (so this change is in force
// everywhere), for at most --wait (default 2s; --no-wait skips). Prints "in
// force on N of N serving processes" and returns kExitOk, or names the
// processes that lag and returns kExitNo. node_command.cpp
//
// `also` (key commands): what a live process that has applied the change
// must further report in its heartbeat, e.g. holding a new key. It returns
// nullopt when the process is there, else why not; `settled` when waiting
// cannot help (it refused the set), so the wait ends at once.
struct NotYet {
  std::string why;  // "refused the new key set ..."
  bool settled = false;
};
using NodeCondition = std::function<std::optional<NotYet>(const NodeRecord&)>;
int confirm_applied(Stores& stores, const Args& args, const NodeCondition& also = {});
// What a key command waits for of each process's heartbeat (key_command.cpp):
// having loaded the changed set, holding `kid`, or no longer holding it.
// nullopt when the process is there; settled when waiting cannot help.
enum class KeyWant { loaded, holds, dropped };
std::optional<NotYet> key_state(const NodeRecord& n, KeyWant want, const std::string& kid);

// The stores' way to end a user's credentials (identity/password_change.h);
// each store records its change feed entry. session_command.cpp
CredentialEnds store_credential_ends(Stores& stores);
// Ends every session, refresh family and access token of a user (the epoch
// rises). session_command.cpp
Result<EndedCredentials> end_user_credentials(Stores& stores, const std::string& user_id);

}  // namespace cloakroom::cli
