// model/bpf_ringbuf/config.h — a parsed BPF ring buffer scenario (see workload.h for the format)
// and the named variants.
#pragma once

#include "model/scenario_fields.h"

#include <cstdint>
#include <string>
#include <vector>

#include "model/bpf_ringbuf/consumer.h"
#include "model/bpf_ringbuf/ringbuf.h"
#include "scenarios/spec.h"
#include "sim/property.h"

namespace model::bpf_ringbuf {

struct NamedVariant {
  std::string name, description;
  Variant kernel;
  bool libbpf_int_overflow = false;
  bool libbpf_plain_consumer_pos = false;  // libbpf stores consumer_pos with a plain store
};
/// The variants, mainline first.
const std::vector<NamedVariant>& variants();
const NamedVariant* find_variant(const std::string& name);

using model::Messages;

struct Producer {
  std::string name;
  int cpu = 0;
  sim::Ctx ctx = sim::Ctx::Task;
  bool in_lock = false;
  int host = -1;
  std::uint32_t fires = 1;
  int ring = 0;
  enum class Api : std::uint8_t { Reserve, Output, ReserveDynptr } api = Api::Reserve;
  enum class Commit : std::uint8_t { Submit, Discard, Mixed } commit = Commit::Submit;
  std::uint64_t flags = 0;
  bool batch = false, reverse = false;
  Messages messages;
};

struct Consumer {
  int cpu = 0;
  enum class Call : std::uint8_t { Poll, Consume, ConsumeN } call = Call::Poll;
  std::uint64_t n = 1;
  int timeout = -1;
  std::uint32_t fail_every = 0;
  int fail_ret = -1;
  bool after_stop = false;
  bool allow_lost_wakeup = false;
};

struct UserWrite {
  int cpu = 0, ring = 0;
  std::uint64_t value = 0;
  bool relative = false;
};

struct Config {
  Params params;
  Variant variant;
  RingBuffer::Config libbpf;
  int rings = 1;
  int cpus = 1;
  std::vector<Producer> producers;  // declaration order
  std::vector<Consumer> consumers;  // 0 or 1
  std::vector<UserWrite> users;
};

/// Reads the model's sections of `spec` (throws scenario::ScenarioError).
Config parse(const scenario::Spec& spec, const std::string& variant, scenario::TableReader& root);

}  // namespace model::bpf_ringbuf
