#pragma once
// One function per command group; each returns the process exit code.
#include "cli/args.h"

namespace cloakroom::cli {

int run(int argc, const char* const* argv);     // dispatch.cpp
int serve_command(const Args& args);            // serve_command.cpp
int user_command(const Args& args);             // user_command.cpp
int password_command(const Args& args);         // password_command.cpp
int session_command(const Args& args);          // session_command.cpp
int key_command(const Args& args);              // key_command.cpp
int token_command(const Args& args);            // token_command.cpp

}  // namespace cloakroom::cli
