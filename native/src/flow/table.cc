#include "flow/table.h"

#include <cmath>
#include <cstdlib>
#include <cstring>

namespace mommy {

const char* end_reason_name(EndReason r) {
  switch (r) {
    case EndReason::fin: return "fin";
    case EndReason::rst: return "rst";
    case EndReason::idle: return "idle";
    case EndReason::active: return "active";
    case EndReason::eof: return "eof";
    case EndReason::evicted: return "evicted";
  }
  return "unknown";
}

namespace {
// Expiry runs when the clock has moved this far: timeouts are exact to 0.1 s
// and a packet burst does not pay for list-head checks on every packet.
constexpr int64_t kExpireEveryNs = 100'000'000;
constexpr uint32_t kInitialSlots = 1024;
constexpr size_t kMaxSparePrefixes = 4096;

int64_t seconds_to_ns(double s) {
  if (!(s > 0)) return 0;
  if (s > 1e9) return static_cast<int64_t>(1e18);
  return std::llround(s * 1e9);
}
uint32_t fold(uint64_t h) { return static_cast<uint32_t>(h ^ (h >> 32)); }
}  // namespace

FlowTable::FlowTable(const FlowOptions& options, FlowSink& sink, uint64_t seed)
    : opt_(options), sink_(sink), secret_(HashSecret::from_seed(seed)), slots_(kInitialSlots, Slot{0, 0}) {
  idle_ns_[kTcp] = seconds_to_ns(opt_.tcp_idle);
  idle_ns_[kUdp] = seconds_to_ns(opt_.udp_idle);
  idle_ns_[kIcmp] = seconds_to_ns(opt_.icmp_idle);
  idle_ns_[kOther] = seconds_to_ns(opt_.other_idle);
  idle_ns_[kClosing] = seconds_to_ns(opt_.tcp_close);
  active_ns_ = seconds_to_ns(opt_.active);
  if (opt_.max_flows == 0) opt_.max_flows = 1;
}

FlowTable::~FlowTable() {
  for (uint32_t i = age_.head; i != kNil; i = at(i).age_next) std::free(at(i).prefix);
  for (uint8_t* p : spare_prefixes_) std::free(p);
}

uint8_t FlowTable::class_of(uint8_t proto) {
  switch (proto) {
    case 6: return kTcp;
    case 17: return kUdp;
    case 1:
    case 58: return kIcmp;
    default: return kOther;
  }
}

// ---- intrusive lists -------------------------------------------------------

void FlowTable::list_push_back(List& l, uint32_t i, bool idle) {
  Flow& f = at(i);
  uint32_t& prev = idle ? f.idle_prev : f.age_prev;
  uint32_t& next = idle ? f.idle_next : f.age_next;
  prev = l.tail;
  next = kNil;
  if (l.tail != kNil) (idle ? at(l.tail).idle_next : at(l.tail).age_next) = i;
  else l.head = i;
  l.tail = i;
}

void FlowTable::list_remove(List& l, uint32_t i, bool idle) {
  Flow& f = at(i);
  const uint32_t prev = idle ? f.idle_prev : f.age_prev;
  const uint32_t next = idle ? f.idle_next : f.age_next;
  if (prev != kNil) (idle ? at(prev).idle_next : at(prev).age_next) = next;
  else l.head = next;
  if (next != kNil) (idle ? at(next).idle_prev : at(next).age_prev) = prev;
  else l.tail = prev;
}

// ---- hash slots (linear probing, backward-shift deletion) ----------------

uint32_t FlowTable::find(const FlowKey& key, uint32_t hash) const {
  const size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.index == 0) return kNil;
    if (s.hash == hash) {
      const uint32_t idx = s.index - 1;
      const Flow& f = chunks_[idx >> kChunkShift][idx & ((1u << kChunkShift) - 1)];
      if (f.key == key) return idx;
    }
  }
}

void FlowTable::insert_slot(uint32_t index, uint32_t hash) {
  if ((static_cast<size_t>(live_) + 1) * 2 > slots_.size()) grow_slots();
  const size_t mask = slots_.size() - 1;
  size_t i = hash & mask;
  while (slots_[i].index != 0) i = (i + 1) & mask;
  slots_[i] = Slot{index + 1, hash};
}

void FlowTable::erase_slot(uint32_t index, uint32_t hash) {
  const size_t mask = slots_.size() - 1;
  size_t i = hash & mask;
  while (slots_[i].index != index + 1) i = (i + 1) & mask;
  // Shift later members of the probe run back so lookups never stop early.
  for (size_t j = (i + 1) & mask; slots_[j].index != 0; j = (j + 1) & mask) {
    const size_t home = slots_[j].hash & mask;
    const bool stays = (i <= j) ? (i < home && home <= j) : (i < home || home <= j);
    if (!stays) {
      slots_[i] = slots_[j];
      i = j;
    }
  }
  slots_[i] = Slot{0, 0};
}

void FlowTable::grow_slots() {
  std::vector<Slot> old(slots_.size() * 2, Slot{0, 0});
  old.swap(slots_);
  const size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.index == 0) continue;
    size_t i = s.hash & mask;
    while (slots_[i].index != 0) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

// ---- flow lifecycle ----------------------------------------------------------

uint32_t FlowTable::allocate() {
  if (!free_.empty()) {
    const uint32_t i = free_.back();
    free_.pop_back();
    return i;
  }
  if ((used_ >> kChunkShift) >= chunks_.size())
    chunks_.emplace_back(new Flow[static_cast<size_t>(1) << kChunkShift]);
  return used_++;
}

uint8_t* FlowTable::take_prefix() {
  ++prefixes_out_;
  if (!spare_prefixes_.empty()) {
    uint8_t* p = spare_prefixes_.back();
    spare_prefixes_.pop_back();
    return p;
  }
  return static_cast<uint8_t*>(std::malloc(2 * static_cast<size_t>(opt_.payload_bytes)));
}

void FlowTable::give_prefix(uint8_t* p) {
  --prefixes_out_;
  if (spare_prefixes_.size() < kMaxSparePrefixes) spare_prefixes_.push_back(p);
  else std::free(p);
}

uint32_t FlowTable::create(const Decoded& d, const FlowKey& key, bool src_is_lo, uint32_t hash) {
  if (live_ >= opt_.max_flows) evict_oldest();
  const uint32_t idx = allocate();
  Flow& f = at(idx);
  f = Flow{};
  f.key = key;
  f.hash = hash;
  f.fwd_is_lo = src_is_lo;
  f.out_src_port = d.src_port;
  f.out_dst_port = d.dst_port;
  f.idle_class = class_of(d.proto);
  f.record_clock = clock_;
  f.touch_clock = clock_;
  f.queued_clock = clock_;
  list_push_back(idle_[f.idle_class], idx, true);
  list_push_back(age_, idx, false);
  insert_slot(idx, hash);
  ++live_;
  ++counters_.flows_created;
  return idx;
}

void FlowTable::reset_record(Flow& f) {
  std::memset(f.pkts, 0, sizeof f.pkts);
  std::memset(f.bytes, 0, sizeof f.bytes);
  std::memset(f.payload_bytes, 0, sizeof f.payload_bytes);
  std::memset(f.size_sumsq, 0, sizeof f.size_sumsq);
  std::memset(f.size_min, 0, sizeof f.size_min);
  std::memset(f.size_max, 0, sizeof f.size_max);
  std::memset(f.flag_counts, 0, sizeof f.flag_counts);
  std::memset(f.prefix_len, 0, sizeof f.prefix_len);
  std::memset(f.flags, 0, sizeof f.flags);
  f.iat_min_us = f.iat_max_us = 0;
  f.iat_sumsq_us = 0;
  f.first_ns = f.last_ns = 0;
  f.ttl_min = f.ttl_max = 0;
}

void FlowTable::update(Flow& f, const Decoded& d, int dir, int64_t ts_ns) {
  const uint64_t seen = f.total_pkts();
  if (seen == 0) {
    f.first_ns = f.last_ns = ts_ns;
    f.ttl_min = f.ttl_max = d.ttl;
  } else {
    const int64_t gap = ts_ns > f.last_ns ? ts_ns - f.last_ns : 0;  // reordered: 0
    const double gap_us = static_cast<double>(gap) / 1000.0;
    const float gap_f = static_cast<float>(gap_us);
    if (seen == 1 || gap_f < f.iat_min_us) f.iat_min_us = gap_f;
    if (seen == 1 || gap_f > f.iat_max_us) f.iat_max_us = gap_f;
    f.iat_sumsq_us += gap_us * gap_us;
    if (ts_ns > f.last_ns) f.last_ns = ts_ns;
    if (d.ttl < f.ttl_min) f.ttl_min = d.ttl;
    if (d.ttl > f.ttl_max) f.ttl_max = d.ttl;
  }

  const uint32_t size = d.ip_bytes;
  if (f.pkts[dir] == 0 || size < f.size_min[dir]) f.size_min[dir] = size;
  if (size > f.size_max[dir]) f.size_max[dir] = size;
  f.size_sumsq[dir] += static_cast<double>(size) * size;
  ++f.pkts[dir];
  f.bytes[dir] += size;
  f.payload_bytes[dir] += d.payload_len;

  if (d.proto == 6 && d.has_ports) {
    const uint8_t fl = d.tcp_flags;
    f.flags[dir] |= fl;
    const bool syn = fl & tcpflag::kSyn, ack = fl & tcpflag::kAck;
    uint32_t* c = f.flag_counts;
    if (syn && !ack) ++c[static_cast<int>(FlagIndex::syn)];
    if (syn && ack) ++c[static_cast<int>(FlagIndex::synack)];
    if (fl & tcpflag::kFin) ++c[static_cast<int>(FlagIndex::fin)];
    if (fl & tcpflag::kRst) ++c[static_cast<int>(FlagIndex::rst)];
    if (fl & tcpflag::kPsh) ++c[static_cast<int>(FlagIndex::psh)];
    if (ack) ++c[static_cast<int>(FlagIndex::ack)];
    if (fl & tcpflag::kUrg) ++c[static_cast<int>(FlagIndex::urg)];
    if (fl & tcpflag::kEce) ++c[static_cast<int>(FlagIndex::ece)];
    if (fl & tcpflag::kCwr) ++c[static_cast<int>(FlagIndex::cwr)];
  }

  const uint32_t limit = opt_.payload_bytes;
  if (limit > 0 && d.payload_cap > 0 && f.prefix_len[dir] < limit) {
    if (!f.prefix) f.prefix = take_prefix();
    const uint32_t room = limit - f.prefix_len[dir];
    const uint32_t take = d.payload_cap < room ? d.payload_cap : room;
    std::memcpy(f.prefix + static_cast<size_t>(dir) * limit + f.prefix_len[dir], d.payload, take);
    f.prefix_len[dir] = static_cast<uint16_t>(f.prefix_len[dir] + take);
  }
}

void FlowTable::end(uint32_t index, EndReason reason) {
  Flow& f = at(index);
  // A connection that already closed ended by its FIN or RST, whatever
  // (end of input, eviction) cut its close delay short.
  if (f.closing) reason = f.tcp.any_reset() ? EndReason::rst : EndReason::fin;
  if (f.total_pkts() > 0) {
    sink_.on_flow(f, reason);
  }
  list_remove(idle_[f.idle_class], index, true);
  list_remove(age_, index, false);
  erase_slot(index, f.hash);
  if (f.prefix) give_prefix(f.prefix);
  f.prefix = nullptr;
  free_.push_back(index);
  --live_;
}

void FlowTable::emit_interim(uint32_t index) {
  Flow& f = at(index);
  if (f.total_pkts() > 0) {
    sink_.on_flow(f, EndReason::active);
    reset_record(f);
  }
  f.record_clock = clock_;
  list_remove(age_, index, false);
  list_push_back(age_, index, false);
}

void FlowTable::set_idle_class(uint32_t index, uint8_t cls) {
  Flow& f = at(index);
  list_remove(idle_[f.idle_class], index, true);
  f.idle_class = cls;
  f.queued_clock = clock_;
  list_push_back(idle_[cls], index, true);
}

void FlowTable::requeue(uint32_t index) {
  Flow& f = at(index);
  f.queued_clock = clock_;
  List& l = idle_[f.idle_class];
  if (l.tail == index) return;
  list_remove(l, index, true);
  list_push_back(l, index, true);
}

void FlowTable::touch(uint32_t index) {
  Flow& f = at(index);
  f.touch_clock = clock_;
  if (clock_ - f.queued_clock >= kRequeueNs) requeue(index);
}

void FlowTable::expire() {
  for (uint8_t cls = 0; cls < kClasses; ++cls) {
    while (idle_[cls].head != kNil) {
      const uint32_t i = idle_[cls].head;
      const Flow& f = at(i);
      if (clock_ - f.queued_clock < idle_ns_[cls]) break;  // nothing behind it is due either
      if (clock_ - f.touch_clock < idle_ns_[cls]) requeue(i);  // active since it was queued
      else end(i, EndReason::idle);  // closing flows report fin/rst (see end())
    }
  }
  while (age_.head != kNil) {
    const uint32_t i = age_.head;
    if (clock_ - at(i).record_clock < active_ns_) break;
    emit_interim(i);
  }
}

void FlowTable::evict_oldest() {
  for (;;) {
    uint32_t victim = kNil;
    int64_t oldest = INT64_MAX;
    for (uint8_t cls = 0; cls < kClasses; ++cls) {
      const uint32_t h = idle_[cls].head;
      if (h != kNil && at(h).queued_clock < oldest) {
        oldest = at(h).queued_clock;
        victim = h;
      }
    }
    if (victim == kNil) return;
    // Queued long ago but active since: not idle, look further.
    if (at(victim).touch_clock > at(victim).queued_clock) {
      requeue(victim);
      continue;
    }
    ++counters_.evictions;
    end(victim, EndReason::evicted);
    return;
  }
}

// ---- entry points ------------------------------------------------------------

void FlowTable::prepare(const Decoded& d, FlowLookup& lookup) const {
  make_flow_key(d, lookup.key, lookup.src_is_lo);
  lookup.hash = fold(hash_flow_key(lookup.key, secret_));
  __builtin_prefetch(&slots_[lookup.hash & (slots_.size() - 1)]);
}

void FlowTable::prefetch_flow(const FlowLookup& lookup) const {
  const Slot& s = slots_[lookup.hash & (slots_.size() - 1)];
  if (s.index == 0) return;
  const uint32_t idx = s.index - 1;
  const auto* f = reinterpret_cast<const char*>(&chunks_[idx >> kChunkShift][idx & ((1u << kChunkShift) - 1)]);
  __builtin_prefetch(f);        // the key
  __builtin_prefetch(f + 128);  // the counters
}

void FlowTable::packet(const Decoded& d, const FlowLookup& lookup, int64_t ts_ns) {
  if (ts_ns > clock_) clock_ = ts_ns;
  if (last_expire_ == INT64_MIN || clock_ - last_expire_ >= kExpireEveryNs) {
    expire();
    last_expire_ = clock_;
  }
  const FlowKey& key = lookup.key;
  const bool src_is_lo = lookup.src_is_lo;
  const uint32_t hash = lookup.hash;
  uint32_t idx = find(key, hash);
  // A new SYN on a connection that has finished starts a new connection
  // (port reuse), as Zeek does.
  if (idx != kNil && d.proto == 6 && at(idx).closing &&
      (d.tcp_flags & (tcpflag::kSyn | tcpflag::kAck)) == tcpflag::kSyn) {
    end(idx, EndReason::fin);
    idx = kNil;
  }
  if (idx == kNil) idx = create(d, key, src_is_lo, hash);
  Flow& f = at(idx);
  const int dir = src_is_lo == f.fwd_is_lo ? 0 : 1;
  update(f, d, dir, ts_ns);
  if (d.proto == 6 && d.has_ports) {
    f.tcp.on_packet(dir, d.tcp_flags);
    if (!f.closing && f.tcp.finished()) {
      f.closing = true;
      set_idle_class(idx, kClosing);
    }
  }
  touch(idx);
}

void FlowTable::advance(int64_t now_ns) {
  if (now_ns > clock_) clock_ = now_ns;
  expire();
  last_expire_ = clock_;
}

void FlowTable::flush(EndReason reason) {
  while (age_.head != kNil) end(age_.head, reason);
}

uint64_t FlowTable::memory_bytes() const {
  return chunks_.size() * (static_cast<uint64_t>(1) << kChunkShift) * sizeof(Flow) +
         slots_.capacity() * sizeof(Slot) + free_.capacity() * sizeof(uint32_t) +
         (prefixes_out_ + spare_prefixes_.size()) * 2ull * opt_.payload_bytes;
}

}  // namespace mommy
