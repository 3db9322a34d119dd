// The flow table: a bounded, seeded-hash table of open flows with per-protocol
// idle timeouts, a TCP close delay, an active timeout that emits interim
// records, and eviction of the oldest idle flow when full.
//
// Time is the table's clock: the newest packet time seen (for files), or the
// wall clock pushed in by advance() (for live capture when no packets come).
// Each timeout class keeps its flows in one list ordered by when they were
// last queued, so expiry looks only at list heads. A busy flow is re-queued
// at most every kRequeueNs rather than on every packet (each move touches
// two other flows' memory); expiry re-queues a head that turns out to have
// been active, so timeouts stay exact to kRequeueNs.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "flow/flow.h"

namespace mommy {

class FlowSink {
 public:
  virtual ~FlowSink() = default;
  virtual void on_flow(const Flow& flow, EndReason reason) = 0;
};

struct FlowTableCounters {
  uint64_t flows_created = 0;
  uint64_t evictions = 0;
};

// What the table needs to find a packet's flow, computed ahead of time so
// that its hash slot can be fetched into cache while the packet before it is
// being accounted.
struct FlowLookup {
  FlowKey key;
  uint32_t hash;
  bool src_is_lo;
};

class FlowTable {
 public:
  FlowTable(const FlowOptions& options, FlowSink& sink, uint64_t seed);
  ~FlowTable();
  FlowTable(const FlowTable&) = delete;
  FlowTable& operator=(const FlowTable&) = delete;

  // Computes the packet's key and hash and starts loading its hash slot.
  void prepare(const Decoded& d, FlowLookup& lookup) const;
  // Once the slot is in cache: starts loading the flow it points to.
  void prefetch_flow(const FlowLookup& lookup) const;
  // Accounts one decoded packet (ports already resolved for fragments).
  void packet(const Decoded& d, const FlowLookup& lookup, int64_t ts_ns);
  void packet(const Decoded& d, int64_t ts_ns) {
    FlowLookup lookup;
    prepare(d, lookup);
    packet(d, lookup, ts_ns);
  }
  // Moves the clock forward without a packet (live capture) and expires.
  void advance(int64_t now_ns);
  // Ends every open flow with `reason`, oldest first.
  void flush(EndReason reason);

  uint32_t active() const { return live_; }
  const FlowTableCounters& counters() const { return counters_; }
  // Bytes held by the table: flow records, hash slots and payload buffers.
  uint64_t memory_bytes() const;

 private:
  enum IdleClass : uint8_t { kTcp, kUdp, kIcmp, kOther, kClosing, kClasses };
  struct List {
    uint32_t head = kNil, tail = kNil;
  };
  struct Slot {
    uint32_t index;  // flow index + 1; 0 = empty
    uint32_t hash;
  };
  static constexpr uint32_t kChunkShift = 12;  // 4096 flows per pool chunk
  static constexpr int64_t kRequeueNs = 100'000'000;

  Flow& at(uint32_t i) { return chunks_[i >> kChunkShift][i & ((1u << kChunkShift) - 1)]; }
  uint32_t find(const FlowKey& key, uint32_t hash) const;
  void insert_slot(uint32_t index, uint32_t hash);
  void erase_slot(uint32_t index, uint32_t hash);
  void grow_slots();
  uint32_t allocate();
  uint32_t create(const Decoded& d, const FlowKey& key, bool src_is_lo, uint32_t hash);
  void update(Flow& f, const Decoded& d, int dir, int64_t ts_ns);
  void end(uint32_t index, EndReason reason);
  void emit_interim(uint32_t index);
  void reset_record(Flow& f);
  void expire();
  void evict_oldest();
  void set_idle_class(uint32_t index, uint8_t cls);
  void touch(uint32_t index);
  void requeue(uint32_t index);
  // Intrusive list helpers: `idle` picks which links.
  void list_push_back(List& l, uint32_t i, bool idle);
  void list_remove(List& l, uint32_t i, bool idle);
  uint8_t* take_prefix();
  void give_prefix(uint8_t* p);
  static uint8_t class_of(uint8_t proto);

  FlowOptions opt_;
  FlowSink& sink_;
  HashSecret secret_;
  int64_t idle_ns_[kClasses];
  int64_t active_ns_;

  std::vector<std::unique_ptr<Flow[]>> chunks_;
  std::vector<uint32_t> free_;
  uint32_t used_ = 0;  // indices handed out so far (free_ holds returned ones)
  std::vector<Slot> slots_;
  uint32_t live_ = 0;
  List idle_[kClasses];
  List age_;
  std::vector<uint8_t*> spare_prefixes_;
  uint64_t prefixes_out_ = 0;

  int64_t clock_ = INT64_MIN;
  int64_t last_expire_ = INT64_MIN;
  FlowTableCounters counters_;
};

}  // namespace mommy
