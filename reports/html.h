// reports/html.h — a one-file HTML report of one recorded execution (no network access needed).
//
// The page shows: the verdict and the accesses behind it (reports/culprit.h); the timeline as one
// lane per CPU with its context slices nested (task → softirq → hardirq → NMI, as in the Perfetto
// writer, whose slices it reuses); the buffers at the chosen step (each byte coloured by the
// message it holds, faded once copied out) with the position words' values; a step slider that
// redraws the buffers and the cursor; and the command that replays the execution. Everything is
// inline: the data is one JSON block (with "</" escaped so that it cannot end the script), drawn
// by a small script. When the script has drawn the page it sets <body data-rendered="ok">, which
// the browser test reads to know it ran without an exception.
#pragma once

#include <string>

#include "sim/sim.h"

namespace reports {

struct HtmlInfo {
  std::string title;   // e.g. "scenarios/relay/relay_write_hardirq.toml (mainline)"
  std::string replay;  // the command that replays it; empty: none
};

std::string render_html(const sim::Sim& sim, const sim::ExecResult& r, const HtmlInfo& info);
/// JSON text made safe to embed in a <script> element ("</" -> "<\/", which JSON reads back the same).
std::string escape_script_json(const std::string& json_text);

}  // namespace reports

namespace reports {

/// Whether a violation's published directory gets a report.html by default (--html writes one
/// anyway): not above kHtmlDefaultEvents events (a step-bound run: the page would be hundreds of MB).
inline constexpr std::size_t kHtmlDefaultEvents = 200'000;
inline bool html_fits(const sim::Sim& sim) { return sim.trace().size() <= kHtmlDefaultEvents; }

/// Writes the Perfetto trace and the HTML page of the execution `sim` last recorded, each only
/// when its path is non-empty (the command's --perfetto and --html).
void write_reports(const sim::Sim& sim, const sim::ExecResult& r, const std::string& perfetto_path,
                   const std::string& html_path, const HtmlInfo& info);

}  // namespace reports
