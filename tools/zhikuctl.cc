// zhikuctl: the command-line client. All logic is in service/ctl.cc; this
// only gathers what RunCtl must not look up itself.
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "service/ctl.h"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  zhiku::ctl::CtlOptions options;
  if (const char* server = std::getenv("ZHIKU_SERVER");
      server != nullptr && *server != '\0') {
    options.server = server;
  }
  if (const char* key = std::getenv("ZHIKU_API_KEY"); key != nullptr) options.api_key = key;
  options.stdout_is_tty = isatty(STDOUT_FILENO) == 1;
  options.stderr_is_tty = isatty(STDERR_FILENO) == 1;
  options.in = &std::cin;
  const std::vector<std::string> args(argv + 1, argv + argc);
  const int code = zhiku::ctl::RunCtl(options, args, std::cout, std::cerr);
  std::cout.flush();
  if (!std::cout && code == zhiku::ctl::kExitOk) return zhiku::ctl::kExitRpcError;
  return code;
}
