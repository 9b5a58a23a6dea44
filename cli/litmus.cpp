// cli/litmus.cpp — the litmus command (see litmus.h): parse, check exhaustively, print herd7's lines.
#include "cli/litmus.h"

#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands.h"
#include "litmus/lkmm.h"
#include "litmus/parser.h"
#include "litmus/report.h"

namespace cli {

int litmus_main(int argc, char** argv) {
  CLI::App app{"check C litmus tests (herd7's format) exhaustively under the Linux-kernel memory model", "relaysim litmus"};
  std::vector<std::string> files;
  bool json = false;
  app.add_option("files", files, "litmus test files (tools/memory-model/litmus-tests/*.litmus)")->required();
  app.add_flag("--json", json, "print a JSON array, one object per test, with the same content");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "relaysim litmus: " << e.what() << " (see relaysim litmus --help)\n";
    return kExitUsage;
  }
  int status = kExitOk;
  nlohmann::json all = nlohmann::json::array();
  for (const auto& f : files) {
    try {
      const litmus::Program p = litmus::parse_file(f);
      const litmus::Result r = litmus::check(p);
      if (json)
        all.push_back(litmus::herd_json(p, r));
      else
        std::cout << litmus::herd_text(p, r) << "\n" << std::flush;
    } catch (const litmus::LitmusError& e) {
      std::cerr << e.what() << "\n";
      status = kExitUsage;
    } catch (const std::bad_alloc&) {
      std::cerr << f << ": internal error: out of memory\n";
      return kExitInternal;
    } catch (const std::exception& e) {  // a bug, not bad input
      std::cerr << f << ": internal error: " << e.what() << "\n";
      return kExitInternal;
    }
  }
  if (json) std::cout << all.dump(2) << "\n";
  return status;
}

}  // namespace cli
