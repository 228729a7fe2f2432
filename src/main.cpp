#include <exception>
#include <iostream>

#include "cli/commands.h"

int main(int argc, char** argv) {
  try {
    return cloakroom::cli::run(argc, argv);
  } catch (const std::exception& e) {
    // Startup-only failures (libsodium init, out of memory): one sentence, exit 1.
    std::cerr << "cloakroom: " << e.what() << ".\n";
    return 1;
  }
}
