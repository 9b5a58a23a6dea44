// model/relay/checks.h — end-of-execution checks of a relay channel, shared by every workload that
// drives one (relay scenarios, the BPF relay map).
//   counters: relay.md's invariants — consumed <= produced; in no-overwrite mode produced -
//             consumed <= n_subbufs; offset <= subbuf_size or exactly subbuf_size + 1 (refused);
//             padding[i] <= subbuf_size.
//   padding:  recorded padding equals the unused tail of each finished sub-buffer: no accepted
//             message of a finished sub-buffer (still in its slot) lies inside it.
// Each reports the first violation through sim::Sim::report and returns false after one.
#pragma once

#include "model/relay/relay.h"
#include "properties/ledger.h"

namespace model::relay {

bool check_channel_invariants(sim::Sim& sim, const Channel& channel, bool overwrite);
bool check_recorded_padding(sim::Sim& sim, const Channel& channel, const properties::Ledger& ledger);

}  // namespace model::relay
