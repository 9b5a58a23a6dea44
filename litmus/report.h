// litmus/report.h — herd7's summary of a checked litmus test, as text (the lines herd7 prints,
// herd/top_herd.ml: Test, States, Ok/No, Witnesses, Positive/Negative, Flag, Condition,
// Observation) and as JSON with the same content. herd7's Time and Hash lines are not printed:
// the first is not deterministic and the second is a digest of herd7's own printer.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "litmus/ir.h"
#include "litmus/lkmm.h"

namespace litmus {

/// `Allowed` (exists), `Forbidden` (~exists) or `Required` (forall), as herd7's "Test" line.
std::string kind_name(const Program& p);

/// The herd7 block for one test, ending with a newline.
std::string herd_text(const Program& p, const Result& r);

/// The same content: {"test", "kind", "states": [{"state": {"1:r0": "1", ...}, "count"}], "ok",
/// "positive", "negative" (herd7's Witnesses), "flags", "condition", "observation",
/// "observation_positive", "observation_negative", "candidates"}.
nlohmann::json herd_json(const Program& p, const Result& r);

}  // namespace litmus
