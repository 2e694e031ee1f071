#pragma once
// vigil::audit — the audit trail: one record per control-plane call (who, from where, what, on
// which resources, with which parameters, and how it ended), CloudTrail's model. Knows nothing
// of HTTP or AWS's wire formats (api/ turns calls into records and LookupEvents into queries).
//
// Append-only and tamper-evident: records are JSON lines in <dir>/trail-NNNNNNNN.jsonl, each
// carrying its sequence number, the hash of the record before it, and its own hash,
// SHA-256(prev_hash + "\n" + the record's canonical JSON without "hash"). Editing, removing or
// reordering a record breaks the chain at that record; Verify names the first break. (Cutting
// records off the end leaves a shorter valid chain: compare the head hash Verify prints with
// one kept elsewhere.) Append returns once the record is fsynced; Open cuts a torn last line.
//
// Thread-safety: a Trail is safe for concurrent use.
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/logging.h"
#include "common/status.h"

namespace vigil::audit {

struct Record {
  // Set by the caller:
  std::string event_source;  // "monitoring.amazonaws.com", "logs.amazonaws.com", "vigil"
  std::string event_name;    // "PutMetricAlarm"
  bool read_only = false;
  std::string access_key_id;  // empty when the caller was not authenticated
  std::string username;
  std::string source_address;
  std::vector<std::pair<std::string, std::string>> resources;  // (type, name)
  nlohmann::json parameters = nlohmann::json::object();        // already redacted (Redact)
  std::string error_code;                                      // empty: it succeeded
  std::string error_message;
  // CloudTrail's additionalEventData (e.g. ConsoleLogin's MFAUsed); written only when not empty,
  // so records without it hash as before.
  nlohmann::json additional = nlohmann::json::object();
  // Set by Append:
  int64_t time_ms = 0;
  std::string event_id;
  uint64_t seq = 0;
  std::string prev_hash, hash;
};

// `params` with the values of secret-looking members (password, secret, token, private key,
// signature; case-insensitive, at any depth) replaced by "***".
nlohmann::json Redact(const nlohmann::json& params);

struct Lookup {
  // At most one attribute, as CloudTrail's LookupEvents: EventId, EventName, ReadOnly
  // ("true"/"false"), Username, ResourceType, ResourceName, EventSource, AccessKeyId.
  std::optional<std::pair<std::string, std::string>> attribute;
  int64_t start_ms = 0;        // inclusive
  int64_t end_ms = INT64_MAX;  // inclusive
  size_t limit = 50;
  std::optional<uint64_t> before_seq;  // the next page: records older than this
};

struct LookupResult {
  std::vector<Record> records;  // newest first
  std::optional<uint64_t> next_before_seq;
};

class Trail {
 public:
  // Opens (creating) the trail in `dir`. A last line cut short by a crash is removed (with a
  // warning); anything else unreadable is DataLoss naming the file and line.
  static StatusOr<std::unique_ptr<Trail>> Open(const std::string& dir, const Clock* clock,
                                               Logger* logger);
  virtual ~Trail() = default;
  // Stamps (time, id, seq, hashes) and appends `r`; OK once it is on disk. Unavailable when
  // the write or fsync fails (the trail then refuses further appends until reopened).
  virtual Status Append(Record r) = 0;
  virtual StatusOr<LookupResult> Find(const Lookup& q) const = 0;
};

struct VerifyResult {
  uint64_t records = 0;
  std::string head_hash;  // of the last good record
  std::string problem;    // empty when the whole chain holds
  std::string file;       // where it breaks
  size_t line = 0;        // 1-based
  uint64_t seq = 0;       // the broken record's sequence number, when readable
};

// Walks every record of the trail in `dir`, checking sequence, links and hashes. An error only
// when the directory cannot be read.
StatusOr<VerifyResult> Verify(const std::string& dir);

}  // namespace vigil::audit
