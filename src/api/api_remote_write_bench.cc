// Remote-write throughput (not a test), on Prometheus-shaped batches: 2,000 series of one
// sample with 7 labels each, as remote_write sends by default.
//   decode  snappy + protobuf → tsdb::SeriesSamples only (the api module's own cost)
//   handle  RemoteWriteService::Handle into a real tsdb::Db (adds the store's Append, WAL fsync
//           included), when built with the engine libraries
// Reports samples per CPU second of this thread (the machine is shared; wall time would
// measure the neighbours). Run: build/src/api/api_remote_write_bench [decode|handle]
#include <time.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "api/remote_write_decode.h"
#include "api/testing/remote_write_encoder.h"
#ifdef VIGIL_API_BENCH_HANDLE
#include "api/api.h"
#endif

namespace {

using vigil::api::testing::DoubleBits;
using vigil::api::testing::EncodeTimeSeries;
using vigil::api::testing::PromSeries;

double CpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// One remote-write request: `series` node-exporter-like series, one sample each at `ts`.
std::string Batch(int series, int offset, int64_t ts) {
  std::vector<std::string> encoded;
  encoded.reserve(series);
  for (int i = 0; i < series; ++i) {
    const int id = offset + i;
    PromSeries s{{{"__name__", "node_cpu_seconds_total"},
                  {"cpu", std::to_string(id % 64)},
                  {"instance", "host-" + std::to_string(id / 128) + ":9100"},
                  {"job", "node"},
                  {"mode", id % 128 < 64 ? "user" : "system"},
                  {"region", "eu-west-1"},
                  {"zone", "eu-west-1a"}},
                 {{DoubleBits(id * 1.5), ts}}};
    encoded.push_back(EncodeTimeSeries(s));
  }
  return vigil::api::testing::SnappyCompress(vigil::api::testing::EncodeWriteRequest(encoded));
}

void Decode() {
  std::vector<std::string> batches;
  for (int b = 0; b < 8; ++b) batches.push_back(Batch(2000, b * 2000, 1736899200000));
  const double start = CpuSeconds();
  size_t samples = 0;
  std::string payload;
  while (CpuSeconds() - start < 2.0) {
    for (const std::string& b : batches) {
      vigil::api::DecodedWrite out;
      vigil::api::WriteRequestStats stats;
      if (!vigil::api::SnappyUncompress(b, 64 << 20, &payload).ok() ||
          !vigil::api::DecodeWriteRequest(payload, "Prometheus", &out, &stats).ok()) {
        std::fprintf(stderr, "decode failed\n");
        return;
      }
      samples += stats.samples;
    }
  }
  std::printf("decode: %.2f M samples per CPU second (%zu bytes per 2000-sample request)\n",
              samples / (CpuSeconds() - start) / 1e6, batches[0].size());
}

#ifdef VIGIL_API_BENCH_HANDLE
void Handle() {
  std::string dir = "/tmp/vigil_rw_bench_XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr) return;
  vigil::SystemClock clock;
  vigil::tsdb::Options options;
  options.dir = dir;
  options.clock = &clock;
  options.logger = &vigil::NullLogger();
  auto db = vigil::tsdb::Db::Open(options);
  if (!db.ok()) {
    std::fprintf(stderr, "%s\n", db.status().ToString().c_str());
    return;
  }
  vigil::api::RemoteWriteService service(db->get(), nullptr, &vigil::NullLogger(), nullptr,
                                         {.allow_unsigned = true});
  // 20,000 series in 10 requests of 2,000 a "scrape"; one scrape every simulated 15 s.
  const int64_t t0 = clock.NowMillis() - 3'600'000;
  int scrape = 0;
  size_t samples = 0;
  double busy = 0;
  while (busy < 3.0 && scrape < 200) {
    std::vector<vigil::http::Request> requests;
    for (int b = 0; b < 10; ++b) {
      vigil::http::Request r;
      r.method = "POST";
      r.target = r.path = "/api/v1/write";
      r.headers = {{"Content-Encoding", "snappy"}, {"Content-Type", "application/x-protobuf"}};
      r.body = Batch(2000, b * 2000, t0 + scrape * 15'000);
      requests.push_back(std::move(r));
    }
    const double start = CpuSeconds();
    for (const auto& r : requests) {
      const vigil::http::Response resp = service.Handle(r);
      if (resp.status != 204) {
        std::fprintf(stderr, "status %d: %s\n", resp.status, resp.body.c_str());
        return;
      }
      samples += 2000;
    }
    busy += CpuSeconds() - start;
    ++scrape;
  }
  std::printf("handle: %.2f M samples per CPU second (20,000 series, %d scrapes)\n",
              samples / busy / 1e6, scrape);
  (void)(*db)->Close();
  db->reset();
  std::filesystem::remove_all(dir);
}
#endif

}  // namespace

int main(int argc, char** argv) {
  const std::string only = argc > 1 ? argv[1] : "";
  if (only.empty() || only == "decode") Decode();
#ifdef VIGIL_API_BENCH_HANDLE
  if (only.empty() || only == "handle") Handle();
#endif
  return 0;
}
