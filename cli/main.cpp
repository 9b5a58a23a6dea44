// cli/main.cpp — the relaysim executable (see commands.h).
#include "cli/commands.h"

int main(int argc, char** argv) { return cli::main(argc, argv); }
