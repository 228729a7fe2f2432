#pragma once
// One function per command group; each returns the process exit code.
#include "cli/args.h"
#include "store/store_url.h"

namespace cloakroom::cli {

int run(int argc, const char* const* argv);     // dispatch.cpp
int serve_command(const Args& args);            // serve_command.cpp
int user_command(const Args& args);             // user_command.cpp
int password_command(const Args& args);         // password_command.cpp
int session_command(const Args& args);          // session_command.cpp
int key_command(const Args& args);              // key_command.cpp
int token_command(const Args& args);            // token_command.cpp

// Ends every session, refresh family and access token of a user (the epoch
// rises) and tells a running server through the event log. session_command.cpp
struct EndedCredentials {
  std::size_t sessions = 0;
  std::size_t families = 0;
};
Result<EndedCredentials> end_user_credentials(Stores& stores, const std::string& user_id, long long now_ms);

}  // namespace cloakroom::cli
