// Fuzzes CloudTrail's LookupEvents through CloudTrailService's handler: the input is the JSON
// body (LookupAttributes, StartTime/EndTime as numbers or text, MaxResults, NextToken), sent
// signed, decoded into an audit::Lookup and run against a real audit trail in a scratch
// directory. The decoding sits inside the service next to the trail query, so the handler is
// the layer that turns the body into a lookup. The trail is written once, before the first
// input, with records spread over a day; a lookup only reads it, so every input does the same
// thing every run.
//
// What it checks beyond ASan/UBSan: every answer is 200 or 400 with a JSON body; a 200 holds
// at most MaxResults events, newest first, each matching the attribute asked for.
#include <stdlib.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "api/api.h"
#include "api/testing/service_harness.h"
#include "audit/audit.h"
#include "common/logging.h"
#include "fuzz/signed_request.h"

namespace {

using Json = nlohmann::json;

// 96 records: the services' calls and sign-ins, by two users and the root key, some refused.
vigil::audit::Trail* MakeTrail() {
  // Each record a quarter of an hour after the last, the last at the fuzz clock's now.
  static vigil::api::testing::ManualClock clock(0);
  auto trail =
      vigil::audit::Trail::Open(vigil::fuzz::ScratchDir() + "/audit", &clock, &vigil::NullLogger());
  if (!trail.ok()) abort();
  constexpr const char* kEvents[][2] = {{"monitoring.amazonaws.com", "PutMetricAlarm"},
                                        {"logs.amazonaws.com", "CreateLogGroup"},
                                        {"signin.amazonaws.com", "ConsoleLogin"},
                                        {"vigil", "Deploy"},
                                        {"monitoring.amazonaws.com", "DescribeAlarms"}};
  constexpr const char* kUsers[] = {"olivia", "root", "deployer"};
  constexpr int kRecords = 96;
  for (int i = 0; i < kRecords; ++i) {
    clock.Set(vigil::fuzz::kFuzzNowMs - (kRecords - 1 - i) * 15 * 60'000LL);
    vigil::audit::Record r;
    r.event_source = kEvents[i % 5][0];
    r.event_name = kEvents[i % 5][1];
    r.read_only = i % 5 == 4;
    r.username = kUsers[i % 3];
    r.access_key_id = i % 3 == 1 ? "AKIDEXAMPLE" : "AKIA" + std::to_string(1000 + i % 3);
    r.source_address = "192.0.2." + std::to_string(i % 7);
    r.resources = {{"AWS::Logs::LogGroup", "/app/" + std::to_string(i % 4)}};
    r.parameters = {{"n", i}};
    if (i % 11 == 0) r.error_code = "AccessDenied", r.error_message = "no";
    if (!(*trail)->Append(std::move(r)).ok()) abort();
  }
  return trail->release();
}

// The record's value of a LookupAttribute key, as CloudTrail's event JSON names it.
std::string AttributeOf(const Json& event, const std::string& key) {
  if (key == "ReadOnly") return event.value("ReadOnly", "");
  if (key == "ResourceType" || key == "ResourceName") {
    const Json& resources = event["Resources"];
    return resources.empty() ? "" : resources[0].value(key, "");
  }
  return event.value(key, "");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const vigil::fuzz::SignedRequests signer;
  static vigil::audit::Trail* trail = MakeTrail();
  static const vigil::api::CloudTrailService service(trail, signer.verifier(), "us-east-1");

  const std::string body(reinterpret_cast<const char*>(data), size);
  const vigil::http::Response r = service.Handle(signer.Json11(
      "cloudtrail", "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents", body));
  const Json out = Json::parse(r.body, nullptr, false);
  if (out.is_discarded() || (r.status != 200 && r.status != 400)) abort();
  if (r.status != 200) return 0;

  // The request decoded, so it is a JSON object (none at all reads as {}).
  const Json in = body.empty() ? Json::object() : Json::parse(body);
  const Json& events = out.at("Events");
  const size_t max = in.contains("MaxResults") ? in["MaxResults"].get<size_t>() : 50;
  if (events.size() > max) abort();
  std::string key, value;
  if (const auto a = in.find("LookupAttributes"); a != in.end() && a->is_array() && !a->empty()) {
    key = (*a)[0].value("AttributeKey", "");
    value = (*a)[0].value("AttributeValue", "");
  }
  double last_time = 1e300;
  for (const Json& e : events) {
    const double time = e.at("EventTime").get<double>();
    if (time > last_time) abort();  // newest first
    last_time = time;
    if (!key.empty() && AttributeOf(e, key) != value) abort();
  }
  return 0;
}
