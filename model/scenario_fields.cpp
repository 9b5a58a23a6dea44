// model/scenario_fields.cpp — see scenario_fields.h.
#include "model/scenario_fields.h"

#include "sim/rng.h"

namespace model {

std::uint32_t message_size(const Messages& m, std::size_t producer, std::uint32_t k, std::uint64_t salt) {
  if (m.min == m.max) return m.min;
  std::uint64_t h = sim::splitmix64_mix((std::uint64_t(producer) << 32) ^ k ^ salt);
  return m.min + static_cast<std::uint32_t>(h % (m.max - m.min + 1));
}

Messages parse_messages(scenario::TableReader& t, const std::string& file, Messages m, std::uint32_t max_size,
                        std::optional<std::uint64_t> fit_room) {
  using scenario::Value;
  const Value* v = t.get("messages");
  if (!v) return m;
  t.expect_kind("messages", *v, Value::Kind::Table);
  scenario::TableReader mr(*v, t.field("messages"), file);
  m.count = static_cast<std::uint32_t>(mr.integer("count", 1, 1, 100000));
  const std::int64_t kMax = max_size;
  const Value* size = mr.get("size");
  if (size) {
    if (size->kind == Value::Kind::Integer && size->integer >= 1 && size->integer <= kMax) {
      m.min = m.max = static_cast<std::uint32_t>(size->integer);
    } else if (size->kind == Value::Kind::Array && size->array.size() == 2 && size->array[0].kind == Value::Kind::Integer &&
               size->array[1].kind == Value::Kind::Integer && size->array[0].integer >= 1 &&
               size->array[0].integer <= size->array[1].integer && size->array[1].integer <= kMax) {
      m.min = static_cast<std::uint32_t>(size->array[0].integer);
      m.max = static_cast<std::uint32_t>(size->array[1].integer);
    } else {
      mr.fail(size->pos, mr.field("size") + " must be a length or [min, max] with 1 <= min <= max <= " + std::to_string(max_size));
    }
  }
  if (fit_room && mr.boolean("must_fit", false) && m.max > *fit_room)
    mr.fail(size ? size->pos : v->pos, mr.field("size") + " allows " + std::to_string(m.max) +
                                           "-byte messages but a sub-buffer holds at most " + std::to_string(*fit_room) +
                                           " (must_fit = true)");
  mr.done();
  return m;
}

int parse_index(scenario::TableReader& t, const std::string& key, int limit, const std::string& what, const std::string& path) {
  const scenario::Value* v = t.get(key);
  if (!v) return 0;
  t.expect_kind(key, *v, scenario::Value::Kind::Integer);
  if (v->integer < 0 || v->integer >= limit)
    t.fail(v->pos, path + "." + key + " = " + std::to_string(v->integer) + " but the scenario has " + std::to_string(limit) + " " +
                       what + (limit == 1 ? "" : "s"));
  return static_cast<int>(v->integer);
}

int parse_cpu_count(scenario::TableReader& root, const std::string& file) {
  int cpus = 0;
  for (const scenario::Value* cv : root.tables("cpu")) {
    scenario::TableReader cr(*cv, "cpu", file);
    cpus += static_cast<int>(cr.integer("count", 1, 1, 64));
    cr.done();
  }
  if (cpus == 0) cpus = 1;
  if (cpus > 64) root.fail(root.pos(), "at most 64 CPUs");
  return cpus;
}

}  // namespace model
