// Fuzzes CloudWatch Logs' JSON 1.1 requests through LogsService's handler, over a real log
// store made afresh in a scratch directory for each input (so an input does the same thing
// every run). The decoding of each operation's body is written inside the operation, next to
// its store calls, so the handler is the layer that turns X-Amz-Target + JSON into a call.
//
// An input is up to kMaxRequests lines; each line is one request: its first byte names the
// operation, kOperations[(byte - 'a') mod (N + 1)] ('a' CreateLogGroup ... 'q'
// DescribeMetricFilters), where the one value past them ('r') cuts the events put so far into
// segments instead, so that reads go through segment files too; the rest of the line is the
// JSON body. Several requests build state: a group, a stream, events, a metric filter, then
// the reads. Every request is signed, so it gets past SigV4. Seeds (fuzz/corpus/logs_json_fuzz):
// each aws CLI capture of compat/awscli/requests/logs.* alone and all of them in the order they
// were made, with the reads before and after a cut; one hand-written sequence for metric
// filters, retention and tags, which have no capture.
//
// What it checks beyond ASan/UBSan: every answer is a status the protocol has (200, 4xx, 503)
// and a JSON body; a 500 — an error the service did not expect — stops the run.
#include <stdlib.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "api/api.h"
#include "common/logging.h"
#include "fuzz/fuzz_util.h"
#include "fuzz/signed_request.h"
#include "logs/logs.h"
#include "state/state.h"

namespace {

constexpr std::string_view kOperations[] = {
    "CreateLogGroup",       "DeleteLogGroup",     "CreateLogStream",       "DeleteLogStream",
    "DescribeLogGroups",    "DescribeLogStreams", "PutLogEvents",          "GetLogEvents",
    "FilterLogEvents",      "PutRetentionPolicy", "DeleteRetentionPolicy", "TagLogGroup",
    "UntagLogGroup",        "ListTagsLogGroup",   "PutMetricFilter",       "DeleteMetricFilter",
    "DescribeMetricFilters"};
constexpr size_t kOperationCount = std::size(kOperations);
constexpr int kMaxRequests = 24;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const vigil::fuzz::SignedRequests signer;
  const std::string dir = vigil::fuzz::ScratchDir() + "/run";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto state = vigil::state::OpenSqliteStore(dir + "/state.db");
  if (!state.ok()) abort();
  vigil::logs::Options options;
  options.dir = dir + "/logs";
  options.state = state->get();
  options.clock = signer.clock();
  options.logger = &vigil::NullLogger();
  options.sync = false;
  options.background = false;
  auto store = vigil::logs::Store::Open(std::move(options));
  if (!store.ok()) abort();
  const vigil::api::LogsService service(store->get(), signer.verifier(), &vigil::NullLogger(),
                                        vigil::api::LogsOptions{});

  vigil::fuzz::Fields in(data, size);
  for (int i = 0; i < kMaxRequests; ++i) {
    const std::string_view line = in.Next();
    if (line.empty()) {
      if (in.Rest().empty()) break;
      continue;
    }
    const size_t op = static_cast<uint8_t>(line[0] - 'a') % (kOperationCount + 1);
    if (op == kOperationCount) {
      if (!(*store)->Flush().ok()) abort();
      continue;
    }
    const vigil::http::Response r = service.Handle(signer.Json11(
        "logs", "Logs_20140328." + std::string(kOperations[op]), std::string(line.substr(1))));
    if (r.status != 200 && r.status != 400 && r.status != 413 && r.status != 503) abort();
    if (!nlohmann::json::accept(r.body)) abort();
  }
  if (!(*store)->Close().ok()) abort();
  return 0;
}
