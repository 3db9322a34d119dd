// All N-API glue. The surface is small and flat (open a source, pull the next
// batch, stats, stop, close); packages/core wraps it in typed classes.
// Handles are externals tagged with a type tag, so passing anything else
// throws instead of reading random memory.
#include "napi_setup.h"

#include <arpa/inet.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <atomic>
#include <set>

#include "batch/schema.h"
#include "capture/file_sha256.h"
#include "decode/packet.h"
#include "engine/capture.h"
#include "extract/extract.h"
#include "flow/community_id.h"

namespace mommy {
namespace {

const napi_type_tag kCaptureTag = {0x6d6f6d6d796e6574ull, 0x636170747572653aull};

struct CaptureHandle {
  std::shared_ptr<Capture> capture;
  FileCapture* file = nullptr;  // same object while an open file capture
  int live_linktype = -1;       // live captures: the interface's link type
  // What stats(), info() and failure() report once the capture is closed.
  CaptureStats final_stats;
  CaptureFailure final_failure;
  FileInfo final_info;
  // The next() waiting for a batch, and how capture threads wake it: a
  // thread-safe function, referenced (keeping Node alive) only while a
  // next() waits. No thread of Node's pool is held while waiting.
  std::unique_ptr<Napi::Promise::Deferred> pending;
  Napi::ThreadSafeFunction wake;
  bool referenced = false;
  bool wake_released = false;
  // Capture threads signal only while this is set. A finalizer clears it
  // first: at environment teardown Node may be deleting the thread-safe
  // function while finalizers run, so they must not touch it.
  std::atomic<bool> wake_live{true};
};

// The JS external and the thread-safe function each own the handle; it is
// freed when both are finalized, in whatever order the runtime does that.
using HandleRef = std::shared_ptr<CaptureHandle>;

// Per-environment state: every open handle, so environment teardown (a
// worker exiting, the process ending) stops capture threads. It is never
// freed: handle finalizers may run after the environment's teardown.
struct AddonData {
  std::set<CaptureHandle*> handles;
  bool torn_down = false;
};

void settle(Napi::Env env, CaptureHandle* h, Napi::Value value) {
  auto d = std::move(h->pending);
  if (h->referenced) {
    h->wake.Unref(env);
    h->referenced = false;
  }
  d->Resolve(value);
}

Napi::Object batch_to_js(Napi::Env env, Batch& batch);

// On the JS thread: resolve the waiting next() if a batch is ready or the
// capture has ended; otherwise keep waiting.
void deliver(Napi::Env env, CaptureHandle* h) {
  if (!h->pending) return;
  if (!h->capture) return settle(env, h, env.Null());
  bool ended = false;
  std::unique_ptr<Batch> batch = h->capture->try_next(ended);
  if (batch) {
    try {
      settle(env, h, batch_to_js(env, *batch));
    } catch (const Napi::Error& e) {
      auto d = std::move(h->pending);
      d->Reject(e.Value());
    }
  } else if (ended) {
    settle(env, h, env.Null());
  }
}

// Stops the capture and joins its threads (no wake-ups after this).
void stop_capture(CaptureHandle* h) {
  if (!h->capture) return;
  h->capture->cancel();
  h->final_stats = h->capture->stats();
  h->final_failure = h->capture->failure();
  if (h->file) h->final_info = h->file->info();
  h->file = nullptr;
  h->capture.reset();
}

// close() from JavaScript: the environment is alive, so the waiting next()
// is settled and the thread-safe function released.
void close_handle(Napi::Env env, CaptureHandle* h) {
  stop_capture(h);
  if (h->pending) settle(env, h, env.Null());
  if (!h->wake_released) {
    h->wake_released = true;
    h->wake.Release();
  }
}

// ---- argument checks ----------------------------------------------------------

double number_option(const Napi::Object& o, const char* name, double def, double min, double max) {
  const Napi::Value v = o.Get(name);
  if (v.IsUndefined()) return def;
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string("option ") + name + " must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= min && d <= max))
    throw Napi::RangeError::New(o.Env(), std::string("option ") + name + " is out of range");
  return d;
}

bool bool_option(const Napi::Object& o, const char* name, bool def) {
  const Napi::Value v = o.Get(name);
  if (v.IsUndefined()) return def;
  if (!v.IsBoolean()) throw Napi::TypeError::New(o.Env(), std::string("option ") + name + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

std::string string_option(const Napi::Object& o, const char* name, const std::string& def) {
  const Napi::Value v = o.Get(name);
  if (v.IsUndefined()) return def;
  if (!v.IsString()) throw Napi::TypeError::New(o.Env(), std::string("option ") + name + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

Napi::Object options_arg(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || info[i].IsUndefined()) return Napi::Object::New(info.Env());
  if (!info[i].IsObject()) throw Napi::TypeError::New(info.Env(), "options must be an object");
  return info[i].As<Napi::Object>();
}

PipelineOptions pipeline_options(const Napi::Object& o) {
  PipelineOptions p;
  FlowOptions& f = p.flow;
  constexpr double kDay = 86400.0 * 365;
  f.tcp_idle = number_option(o, "tcpIdleTimeout", f.tcp_idle, 0.001, kDay);
  f.udp_idle = number_option(o, "udpIdleTimeout", f.udp_idle, 0.001, kDay);
  f.icmp_idle = number_option(o, "icmpIdleTimeout", f.icmp_idle, 0.001, kDay);
  f.other_idle = number_option(o, "otherIdleTimeout", f.other_idle, 0.001, kDay);
  f.tcp_close = number_option(o, "tcpCloseTimeout", f.tcp_close, 0, kDay);
  f.active = number_option(o, "activeTimeout", f.active, 0.001, kDay);
  f.max_flows = static_cast<uint32_t>(number_option(o, "maxFlows", f.max_flows, 1, 1e9));
  f.payload_bytes = static_cast<uint32_t>(number_option(o, "payloadBytes", f.payload_bytes, 0, 65535));
  p.batch_rows = static_cast<uint32_t>(number_option(o, "batchRows", p.batch_rows, 1, 1 << 24));
  p.batch_interval_ns = static_cast<int64_t>(
      number_option(o, "batchInterval", static_cast<double>(p.batch_interval_ns) / 1e9, 0.001, 3600) * 1e9);
  return p;
}

size_t queue_depth(const Napi::Object& o, double def) {
  return static_cast<size_t>(number_option(o, "queueDepth", def, 1, 4096));
}

CaptureHandle* handle_arg(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsExternal())
    throw Napi::TypeError::New(info.Env(), "expected a capture handle");
  auto ext = info[0].As<Napi::External<HandleRef>>();
  if (!ext.CheckTypeTag(&kCaptureTag)) throw Napi::TypeError::New(info.Env(), "expected a capture handle");
  return ext.Data()->get();
}

Napi::Error capture_error(Napi::Env env, const CaptureFailure& f) {
  Napi::Error e = Napi::Error::New(env, f.message);
  e.Set("code", Napi::String::New(env, f.code));
  if (f.offset >= 0) e.Set("offset", Napi::Number::New(env, static_cast<double>(f.offset)));
  return e;
}

Napi::Value wrap_handle(Napi::Env env, std::shared_ptr<Capture> capture, FileCapture* file, int live_linktype) {
  auto h = std::make_shared<CaptureHandle>();
  h->capture = std::move(capture);
  h->file = file;
  h->live_linktype = live_linktype;
  env.GetInstanceData<AddonData>()->handles.insert(h.get());

  h->wake = Napi::ThreadSafeFunction::New(env, Napi::Function::New(env, [](const Napi::CallbackInfo&) {}),
                                          "mommynet.capture", 0, 1, new HandleRef(h),
                                          [](Napi::Env, HandleRef* ref) { delete ref; });
  h->wake.Unref(env);
  CaptureHandle* raw = h.get();
  h->capture->set_listener([raw] {
    if (raw->wake_live.load())
      raw->wake.NonBlockingCall([raw](Napi::Env env, Napi::Function) { deliver(env, raw); });
  });

  // Finalized without close() (garbage, or teardown): stop the threads only.
  // The thread-safe function is left to Node, which owns its teardown.
  auto ext = Napi::External<HandleRef>::New(env, new HandleRef(h), [](Napi::Env env, HandleRef* ref) {
    CaptureHandle* h = ref->get();
    h->wake_live = false;
    if (auto* d = env.GetInstanceData<AddonData>(); d && !d->torn_down) d->handles.erase(h);
    stop_capture(h);
    delete ref;
  });
  ext.TypeTag(&kCaptureTag);
  h->capture->start();
  return ext;
}

// ---- batches to JavaScript --------------------------------------------------

// Hands a C++ buffer to JS without copying. Where the runtime forbids
// external buffers (V8 sandbox builds) it falls back to one copy.
Napi::Value to_array_buffer(Napi::Env env, OwnedBuffer& buf) {
  const size_t n = buf.size();
  if (n == 0) return Napi::ArrayBuffer::New(env, 0);
  uint8_t* p = buf.release();
  napi_value out;
  const napi_status s = napi_create_external_arraybuffer(
      env, p, n, [](napi_env, void* data, void*) { std::free(data); }, nullptr, &out);
  if (s == napi_ok) return Napi::Value(env, out);
  Napi::ArrayBuffer copy = Napi::ArrayBuffer::New(env, n);
  std::memcpy(copy.Data(), p, n);
  std::free(p);
  return copy;
}

Napi::Object batch_to_js(Napi::Env env, Batch& batch) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("rows", Napi::Number::New(env, batch.rows));
  Napi::Array cols = Napi::Array::New(env, batch.columns.size());
  for (size_t i = 0; i < batch.columns.size(); ++i) {
    ColumnData& c = batch.columns[i];
    Napi::Object col = Napi::Object::New(env);
    col.Set("values", to_array_buffer(env, c.values));
    if (c.offsets.size()) col.Set("offsets", to_array_buffer(env, c.offsets));
    if (c.null_count) col.Set("validity", to_array_buffer(env, c.validity));
    col.Set("nullCount", Napi::Number::New(env, c.null_count));
    cols.Set(static_cast<uint32_t>(i), col);
  }
  out.Set("columns", cols);
  return out;
}

// ---- stats ---------------------------------------------------------------------

// Counters as JS numbers: exact up to 2^53, which no capture counter reaches.
Napi::Value count_value(Napi::Env env, uint64_t v) { return Napi::Number::New(env, static_cast<double>(v)); }

Napi::Object stats_to_js(Napi::Env env, const CaptureStats& s) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("packets", count_value(env, s.packets));
  o.Set("bytes", count_value(env, s.bytes));
  o.Set("decoded", count_value(env, s.decoded));
  o.Set("skipped", count_value(env, s.skipped));
  Napi::Object by = Napi::Object::New(env);
  for (int i = 1; i <= kAnomalyCount; ++i)
    if (s.skipped_by[i]) by.Set(anomaly_name(static_cast<Anomaly>(i)), count_value(env, s.skipped_by[i]));
  o.Set("skippedByReason", by);
  o.Set("flows", count_value(env, s.flows));
  o.Set("flowsCreated", count_value(env, s.flows_created));
  o.Set("evictions", count_value(env, s.evictions));
  o.Set("activeFlows", count_value(env, s.active_flows));
  o.Set("flowTableBytes", count_value(env, s.memory_bytes));
  o.Set("batches", count_value(env, s.batches));
  o.Set("batchesDropped", count_value(env, s.batches_dropped));
  o.Set("firstPacketTime", Napi::Number::New(env, static_cast<double>(s.first_ts_ns) / 1e9));
  o.Set("lastPacketTime", Napi::Number::New(env, static_cast<double>(s.last_ts_ns) / 1e9));
  o.Set("psRecv", count_value(env, s.ps_recv));
  o.Set("psDrop", count_value(env, s.ps_drop));
  o.Set("psIfDrop", count_value(env, s.ps_ifdrop));
  return o;
}

// ---- exported functions -----------------------------------------------------

Napi::Value Schema(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array out = Napi::Array::New(env, kColumnCount);
  for (int i = 0; i < kColumnCount; ++i) {
    Napi::Object c = Napi::Object::New(env);
    c.Set("name", kFlowColumns[i].name);
    c.Set("type", column_type_name(kFlowColumns[i].type));
    out.Set(static_cast<uint32_t>(i), c);
  }
  return out;
}

Napi::Value Anomalies(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array out = Napi::Array::New(env, kAnomalyCount);
  for (int i = 1; i <= kAnomalyCount; ++i) {
    Napi::Object a = Napi::Object::New(env);
    a.Set("name", anomaly_name(static_cast<Anomaly>(i)));
    a.Set("class", anomaly_class(static_cast<Anomaly>(i)));
    out.Set(static_cast<uint32_t>(i - 1), a);
  }
  return out;
}

Napi::Value OpenFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(env, "path must be a string");
  const Napi::Object o = options_arg(info, 1);
  const PipelineOptions p = pipeline_options(o);
  CaptureFailure failure;
  auto cap = FileCapture::open(info[0].As<Napi::String>().Utf8Value(), p, queue_depth(o, 4), failure);
  if (!cap) throw capture_error(env, failure);
  FileCapture* file = cap.get();
  return wrap_handle(env, std::shared_ptr<Capture>(std::move(cap)), file, -1);
}

Napi::Value OpenLive(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Napi::Object o = options_arg(info, 0);
  LiveOptions live;
  live.interface = string_option(o, "interface", "");
  if (live.interface.empty()) throw Napi::TypeError::New(env, "option interface is required");
  live.filter = string_option(o, "filter", "");
  live.snaplen = static_cast<int>(number_option(o, "snaplen", live.snaplen, 64, 262144));
  live.promisc = bool_option(o, "promisc", live.promisc);
  live.buffer_bytes = static_cast<int>(number_option(o, "bufferSize", live.buffer_bytes, 1 << 16, 1 << 30));
  live.immediate = bool_option(o, "immediate", live.immediate);
  live.workers = static_cast<int>(number_option(o, "workers", 1, 1, 64));
  const PipelineOptions p = pipeline_options(o);
  CaptureFailure failure;
  auto cap = LiveCapture::open(live, p, queue_depth(o, 64), failure);
  if (!cap) throw capture_error(env, failure);
  const int linktype = cap->linktype();
  return wrap_handle(env, std::shared_ptr<Capture>(std::move(cap)), nullptr, linktype);
}

Napi::Value Next(const Napi::CallbackInfo& info) {
  CaptureHandle* h = handle_arg(info);
  Napi::Env env = info.Env();
  if (h->pending) throw Napi::Error::New(env, "next() is already pending on this capture");
  h->pending = std::make_unique<Napi::Promise::Deferred>(env);
  Napi::Promise promise = h->pending->Promise();
  deliver(env, h);
  if (h->pending && !h->referenced) {
    // Waiting: the capture's threads will wake us; keep Node running meanwhile.
    h->wake.Ref(env);
    h->referenced = true;
  }
  return promise;
}

Napi::Value Stats(const Napi::CallbackInfo& info) {
  CaptureHandle* h = handle_arg(info);
  return stats_to_js(info.Env(), h->capture ? h->capture->stats() : h->final_stats);
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  CaptureHandle* h = handle_arg(info);
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  if (h->live_linktype < 0) {
    const FileInfo fi = h->file ? h->file->info() : h->final_info;
    o.Set("format", fi.format);
    o.Set("compressed", fi.compressed);
    o.Set("bytesRead", Napi::Number::New(env, static_cast<double>(fi.bytes_read)));
    o.Set("fileBytesRead", Napi::Number::New(env, static_cast<double>(fi.file_bytes_read)));
    o.Set("finished", !h->file || h->file->finished());
    Napi::Array lts = Napi::Array::New(env, fi.linktypes.size());
    for (size_t i = 0; i < fi.linktypes.size(); ++i) lts.Set(static_cast<uint32_t>(i), fi.linktypes[i]);
    o.Set("linktypes", lts);
  } else {
    o.Set("format", "live");
    Napi::Array lts = Napi::Array::New(env, 1);
    lts.Set(0u, h->live_linktype);
    o.Set("linktypes", lts);
  }
  return o;
}

Napi::Value Failure(const Napi::CallbackInfo& info) {
  CaptureHandle* h = handle_arg(info);
  const CaptureFailure f = h->capture ? h->capture->failure() : h->final_failure;
  if (f.code.empty()) return info.Env().Null();
  return capture_error(info.Env(), f).Value();
}

Napi::Value Stop(const Napi::CallbackInfo& info) {
  CaptureHandle* h = handle_arg(info);
  if (h->capture) h->capture->stop();
  return info.Env().Undefined();
}

Napi::Value Close(const Napi::CallbackInfo& info) {
  close_handle(info.Env(), handle_arg(info));
  return info.Env().Undefined();
}

// Test-only: decode one frame and return what the flow table would see.
Napi::Value DecodeFrame(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsTypedArray())
    throw Napi::TypeError::New(env, "decodeFrame(linktype, Uint8Array)");
  auto bytes = info[1].As<Napi::Uint8Array>();
  Frame f;
  f.linktype = info[0].As<Napi::Number>().Uint32Value();
  f.data = bytes.Data();
  f.caplen = static_cast<uint32_t>(bytes.ByteLength());
  f.wirelen = info.Length() > 2 && info[2].IsNumber() ? info[2].As<Napi::Number>().Uint32Value() : f.caplen;
  Decoded d;
  const Anomaly a = decode_frame(f, d);
  Napi::Object o = Napi::Object::New(env);
  o.Set("status", a == Anomaly::ok ? "ok" : anomaly_name(a));
  if (a != Anomaly::ok) return o;
  char ip[INET6_ADDRSTRLEN];
  inet_ntop(d.ip_version == 4 ? AF_INET : AF_INET6, d.src, ip, sizeof ip);
  o.Set("src", ip);
  inet_ntop(d.ip_version == 4 ? AF_INET : AF_INET6, d.dst, ip, sizeof ip);
  o.Set("dst", ip);
  o.Set("ipVersion", d.ip_version);
  o.Set("proto", d.proto);
  o.Set("srcPort", d.src_port);
  o.Set("dstPort", d.dst_port);
  o.Set("hasPorts", d.has_ports);
  o.Set("vlan", d.vlan);
  o.Set("innerVlan", d.inner_vlan);
  o.Set("ttl", d.ttl);
  o.Set("tcpFlags", d.tcp_flags);
  o.Set("ipBytes", d.ip_bytes);
  o.Set("payloadLen", d.payload_len);
  o.Set("payloadCaptured", d.payload_cap);
  o.Set("fragment", d.fragment);
  o.Set("firstFragment", d.first_fragment);
  o.Set("arp", d.arp);
  return o;
}

// Test-only: Community ID of one 5-tuple given as strings.
Napi::Value CommunityId(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Napi::Object o = options_arg(info, 0);
  const std::string src = string_option(o, "src", ""), dst = string_option(o, "dst", "");
  uint8_t s[16] = {}, d[16] = {};
  uint8_t version = 4;
  if (inet_pton(AF_INET, src.c_str(), s) != 1 || inet_pton(AF_INET, dst.c_str(), d) != 1) {
    version = 6;
    if (inet_pton(AF_INET6, src.c_str(), s) != 1 || inet_pton(AF_INET6, dst.c_str(), d) != 1)
      throw Napi::TypeError::New(env, "src and dst must be IP addresses of one family");
  }
  const CommunityIdInput in{version, static_cast<uint8_t>(number_option(o, "proto", 6, 0, 255)), s, d,
                            static_cast<uint16_t>(number_option(o, "srcPort", 0, 0, 65535)),
                            static_cast<uint16_t>(number_option(o, "dstPort", 0, 0, 65535))};
  return Napi::String::New(env, community_id_v1(in, static_cast<uint16_t>(number_option(o, "seed", 0, 0, 65535))));
}

// ---- packet extraction ----------------------------------------------------------

// extractPackets(inputs, outputPath): reads the captures again on a thread of
// Node's pool and writes the frames of the selected flow records. Selections
// are parsed here, on the JS thread, into flow keys built as the flow table
// builds them.
class ExtractWorker final : public Napi::AsyncWorker {
 public:
  ExtractWorker(Napi::Env env, std::vector<ExtractInput> inputs, std::string output)
      : Napi::AsyncWorker(env, "mommynet.extract"),
        deferred_(Napi::Promise::Deferred::New(env)),
        inputs_(std::move(inputs)),
        output_(std::move(output)) {}

  Napi::Promise Promise() const { return deferred_.Promise(); }

  void Execute() override {
    if (!extract_packets(inputs_, output_, result_, failure_)) SetError(failure_.message);
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("packets", count_value(env, result_.packets));
    o.Set("bytes", count_value(env, result_.bytes));
    o.Set("format", output_format_name(result_.format));
    Napi::Array lts = Napi::Array::New(env, result_.linktypes.size());
    for (size_t i = 0; i < result_.linktypes.size(); ++i) lts.Set(static_cast<uint32_t>(i), result_.linktypes[i]);
    o.Set("linktypes", lts);
    Napi::Array ins = Napi::Array::New(env, result_.inputs.size());
    for (size_t i = 0; i < result_.inputs.size(); ++i) {
      const ExtractInputResult& r = result_.inputs[i];
      Napi::Object in = Napi::Object::New(env);
      in.Set("path", inputs_[i].path);
      in.Set("format", r.format);
      in.Set("frames", count_value(env, r.frames));
      in.Set("packets", count_value(env, r.packets));
      if (!r.error_code.empty())
        in.Set("error", capture_error(env, CaptureFailure{r.error_code, r.error_message, r.error_offset}).Value());
      ins.Set(static_cast<uint32_t>(i), in);
    }
    o.Set("inputs", ins);
    deferred_.Resolve(o);
  }

  void OnError(const Napi::Error&) override {
    deferred_.Reject(capture_error(Env(), CaptureFailure{failure_.code, failure_.message, failure_.offset}).Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::vector<ExtractInput> inputs_;
  std::string output_;
  ExtractResult result_;
  ExtractFailure failure_;
};

double required_number(const Napi::Object& o, const char* name, double min, double max) {
  if (o.Get(name).IsUndefined()) throw Napi::TypeError::New(o.Env(), std::string("selection ") + name + " is required");
  const double d = number_option(o, name, 0, min, max);
  if (d != std::floor(d)) throw Napi::RangeError::New(o.Env(), std::string("selection ") + name + " must be an integer");
  return d;
}

ExtractInput extract_input(Napi::Env env, const Napi::Value& v) {
  if (!v.IsObject()) throw Napi::TypeError::New(env, "each input must be an object {path, selections}");
  const Napi::Object o = v.As<Napi::Object>();
  ExtractInput in;
  in.path = string_option(o, "path", "");
  if (in.path.empty()) throw Napi::TypeError::New(env, "input path must be a non-empty string");
  const Napi::Value sv = o.Get("selections");
  if (!sv.IsArray()) throw Napi::TypeError::New(env, "input selections must be an array");
  const Napi::Array list = sv.As<Napi::Array>();
  constexpr double kMaxMicros = static_cast<double>((int64_t{1} << 62) / 1000);
  for (uint32_t i = 0; i < list.Length(); ++i) {
    const Napi::Value item = list.Get(i);
    if (!item.IsObject()) throw Napi::TypeError::New(env, "each selection must be an object");
    const Napi::Object s = item.As<Napi::Object>();
    SelectionFields f;
    f.src = string_option(s, "src", "");
    f.dst = string_option(s, "dst", "");
    f.proto = static_cast<uint8_t>(required_number(s, "proto", 0, 255));
    f.arp = bool_option(s, "arp", false);
    f.src_port = static_cast<uint16_t>(required_number(s, "srcPort", 0, 65535));
    f.dst_port = static_cast<uint16_t>(required_number(s, "dstPort", 0, 65535));
    f.vlan = static_cast<uint16_t>(number_option(s, "vlan", 0, 0, 4095));
    f.inner_vlan = static_cast<uint16_t>(number_option(s, "innerVlan", 0, 0, 4095));
    f.start_us = static_cast<int64_t>(required_number(s, "start", 0, kMaxMicros));
    f.end_us = static_cast<int64_t>(required_number(s, "end", 0, kMaxMicros));
    FlowKey key;
    std::string error;
    if (!selection_key(f, key, error)) throw Napi::TypeError::New(env, error);
    in.selections.add(key, f.start_us, f.end_us);
  }
  in.selections.finish();
  return in;
}

Napi::Value ExtractPackets(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsArray() || !info[1].IsString())
    throw Napi::TypeError::New(env, "extractPackets(inputs: array, outputPath: string)");
  const Napi::Array list = info[0].As<Napi::Array>();
  std::vector<ExtractInput> inputs;
  inputs.reserve(list.Length());
  for (uint32_t i = 0; i < list.Length(); ++i) inputs.push_back(extract_input(env, list.Get(i)));
  const std::string output = info[1].As<Napi::String>().Utf8Value();
  if (output.empty()) throw Napi::TypeError::New(env, "outputPath must be a non-empty string");
  auto* worker = new ExtractWorker(env, std::move(inputs), output);
  Napi::Promise promise = worker->Promise();
  worker->Queue();  // the worker deletes itself when done
  return promise;
}

// ---- file digest --------------------------------------------------------------

// sha256File(path, length?, prefixLength?): {sha256, prefixSha256?} in hex, computed on a thread of
// Node's pool; of the first `length` bytes when given, and also of the first `prefixLength`.
class Sha256Worker final : public Napi::AsyncWorker {
 public:
  Sha256Worker(Napi::Env env, std::string path, DigestRange range)
      : Napi::AsyncWorker(env, "mommynet.sha256"),
        deferred_(Napi::Promise::Deferred::New(env)),
        path_(std::move(path)),
        range_(range) {}

  Napi::Promise Promise() const { return deferred_.Promise(); }

  void Execute() override {
    std::string error;
    if (!sha256_file(path_, range_, digests_, error)) SetError(error);
  }

  void OnOK() override {
    Napi::Object result = Napi::Object::New(Env());
    result.Set("sha256", digests_.sha256);
    if (!digests_.prefix_sha256.empty()) result.Set("prefixSha256", digests_.prefix_sha256);
    deferred_.Resolve(result);
  }

  void OnError(const Napi::Error& e) override {
    deferred_.Reject(capture_error(Env(), CaptureFailure{"open_failed", e.Message(), -1}).Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::string path_;
  DigestRange range_;
  FileDigests digests_;
};

// A byte count given to sha256File: absent (undefined) means none.
uint64_t optional_byte_count(const Napi::CallbackInfo& info, size_t index, const char* name) {
  if (info.Length() <= index || info[index].IsUndefined()) return UINT64_MAX;
  const double v = info[index].IsNumber() ? info[index].As<Napi::Number>().DoubleValue() : -1;
  if (!(v >= 0 && v <= 9007199254740991.0) || v != static_cast<double>(static_cast<uint64_t>(v)))
    throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a whole number of bytes");
  return static_cast<uint64_t>(v);
}

Napi::Value Sha256File(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString())
    throw Napi::TypeError::New(env, "sha256File(path: string, length?: number, prefixLength?: number)");
  const std::string path = info[0].As<Napi::String>().Utf8Value();
  if (path.empty()) throw Napi::TypeError::New(env, "path must be a non-empty string");
  const DigestRange range{optional_byte_count(info, 1, "length"), optional_byte_count(info, 2, "prefixLength")};
  auto* worker = new Sha256Worker(env, path, range);
  Napi::Promise promise = worker->Promise();
  worker->Queue();  // the worker deletes itself when done
  return promise;
}

void mark_torn_down(Napi::Env, AddonData* d) { d->torn_down = true; }

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  env.SetInstanceData<AddonData, mark_torn_down>(data);
  env.AddCleanupHook([data] {
    for (CaptureHandle* h : data->handles) {
      h->wake_live = false;
      stop_capture(h);  // joins capture threads before the runtime goes
    }
    data->handles.clear();
  });
  exports.Set("schema", Napi::Function::New(env, Schema));
  exports.Set("anomalies", Napi::Function::New(env, Anomalies));
  exports.Set("openFile", Napi::Function::New(env, OpenFile));
  exports.Set("openLive", Napi::Function::New(env, OpenLive));
  exports.Set("next", Napi::Function::New(env, Next));
  exports.Set("stats", Napi::Function::New(env, Stats));
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("failure", Napi::Function::New(env, Failure));
  exports.Set("stop", Napi::Function::New(env, Stop));
  exports.Set("close", Napi::Function::New(env, Close));
  exports.Set("decodeFrame", Napi::Function::New(env, DecodeFrame));
  exports.Set("communityId", Napi::Function::New(env, CommunityId));
  exports.Set("extractPackets", Napi::Function::New(env, ExtractPackets));
  exports.Set("sha256File", Napi::Function::New(env, Sha256File));
  return exports;
}

}  // namespace
}  // namespace mommy

Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return mommy::Init(env, exports); }

NODE_API_MODULE(mommynet_native, InitAddon)
