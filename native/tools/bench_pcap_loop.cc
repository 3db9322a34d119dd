// Benchmark baseline: the bare libpcap read loop over a capture file, with a
// callback that only touches the bytes (sums caplen and the first byte, so
// the packet data is read and the loop cannot be optimised away). Nothing can
// read a file faster through libpcap; bench/capture.mjs reports every other
// stage as a ratio to this.
//
//   bench-pcap-loop FILE
//
// Prints one JSON object: {"stage", "packets", "bytes", "seconds", "pps", "check", "libpcap"}.
// `seconds` covers pcap_open_offline to pcap_close.
#include <pcap/pcap.h>

#include <chrono>
#include <cstdint>
#include <cstdio>

namespace {

struct Sums {
  uint64_t packets = 0;
  uint64_t bytes = 0;
  uint64_t check = 0;
};

void on_packet(u_char* user, const struct pcap_pkthdr* h, const u_char* data) {
  auto* s = reinterpret_cast<Sums*>(user);
  ++s->packets;
  s->bytes += h->caplen;
  if (h->caplen > 0) s->check += data[0];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s FILE\n", argv[0]);
    return 2;
  }
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  const auto t0 = std::chrono::steady_clock::now();
  pcap_t* p = pcap_open_offline(argv[1], errbuf);
  if (!p) {
    std::fprintf(stderr, "bench-pcap-loop: %s\n", errbuf);
    return 1;
  }
  Sums s;
  const int rc = pcap_loop(p, -1, on_packet, reinterpret_cast<u_char*>(&s));
  if (rc == PCAP_ERROR) {
    std::fprintf(stderr, "bench-pcap-loop: %s\n", pcap_geterr(p));
    pcap_close(p);
    return 1;
  }
  pcap_close(p);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf(
      "{\"stage\":\"pcap_loop\",\"packets\":%llu,\"bytes\":%llu,\"seconds\":%.6f,\"pps\":%.0f,\"check\":%llu,\"libpcap\":\"%s\"}\n",
      static_cast<unsigned long long>(s.packets), static_cast<unsigned long long>(s.bytes), secs,
      secs > 0 ? static_cast<double>(s.packets) / secs : 0.0, static_cast<unsigned long long>(s.check), pcap_lib_version());
  return 0;
}
