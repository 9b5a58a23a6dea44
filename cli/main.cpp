// cli/main.cpp — the relaysim executable (see commands.h; `relaysim litmus` is cli/litmus.h).
#include <cstring>

#include "cli/commands.h"
#include "cli/litmus.h"

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "litmus") == 0) return cli::litmus_main(argc - 1, argv + 1);
  return cli::main(argc, argv);
}
