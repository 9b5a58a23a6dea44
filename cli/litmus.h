// cli/litmus.h — `relaysim litmus FILE.litmus [FILE...] [--json]`: herd7's summary of each C litmus
// test under the Linux-kernel memory model (litmus/lkmm.h). Exit 0 when every file was checked,
// 2 when one could not be read or parsed (one line `FILE:LINE: message` each; the others are still
// checked).
#pragma once

namespace cli {

/// argv[0] is "litmus".
int litmus_main(int argc, char** argv);

}  // namespace cli
