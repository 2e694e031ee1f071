#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <random>

#include "audit/audit.h"
#include "storage/file_util.h"

namespace vigil::audit {
namespace {

using Json = nlohmann::json;

constexpr size_t kFileBytes = 64 << 20;
constexpr char kGenesis[] = "0000000000000000000000000000000000000000000000000000000000000000";

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), digest, &n, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < n; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 15]);
  }
  return out;
}

std::string FileName(uint64_t n) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "trail-%08" PRIu64 ".jsonl", n);
  return buf;
}

std::optional<uint64_t> FileNumber(const std::string& name) {
  if (name.size() != 20 || name.rfind("trail-", 0) != 0 || name.substr(14) != ".jsonl") {
    return std::nullopt;
  }
  const std::string digits = name.substr(6, 8);
  if (digits.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  return std::stoull(digits);
}

// The record as stored, without its hash.
Json Body(const Record& r) {
  Json resources = Json::array();
  for (const auto& [type, name] : r.resources)
    resources.push_back({{"type", type}, {"name", name}});
  Json j = {{"seq", r.seq},
            {"time", r.time_ms},
            {"eventId", r.event_id},
            {"eventSource", r.event_source},
            {"eventName", r.event_name},
            {"readOnly", r.read_only},
            {"accessKeyId", r.access_key_id},
            {"username", r.username},
            {"sourceAddress", r.source_address},
            {"resources", resources},
            {"parameters", r.parameters},
            {"errorCode", r.error_code},
            {"errorMessage", r.error_message},
            {"prevHash", r.prev_hash}};
  if (r.additional.is_object() && !r.additional.empty()) j["additionalEventData"] = r.additional;
  return j;
}

std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

std::string HashOf(const Json& body, const std::string& prev) {
  return Sha256Hex(prev + "\n" + Dump(body));
}

Record FromJson(const Json& j) {
  Record r;
  r.seq = j.value("seq", uint64_t{0});
  r.time_ms = j.value("time", int64_t{0});
  r.event_id = j.value("eventId", "");
  r.event_source = j.value("eventSource", "");
  r.event_name = j.value("eventName", "");
  r.read_only = j.value("readOnly", false);
  r.access_key_id = j.value("accessKeyId", "");
  r.username = j.value("username", "");
  r.source_address = j.value("sourceAddress", "");
  for (const Json& res : j.value("resources", Json::array())) {
    r.resources.emplace_back(res.value("type", ""), res.value("name", ""));
  }
  r.parameters = j.value("parameters", Json::object());
  r.error_code = j.value("errorCode", "");
  r.error_message = j.value("errorMessage", "");
  r.additional = j.value("additionalEventData", Json::object());
  r.prev_hash = j.value("prevHash", "");
  r.hash = j.value("hash", "");
  return r;
}

std::string NewEventId() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  const uint64_t a = rng(), b = rng();
  char buf[40];
  std::snprintf(buf, sizeof(buf),
                "%08" PRIx64 "-%04" PRIx64 "-4%03" PRIx64 "-%04" PRIx64 "-%012" PRIx64, a >> 32,
                (a >> 16) & 0xffff, a & 0xfff, ((b >> 48) & 0x3fff) | 0x8000,
                b & uint64_t{0xffffffffffff});
  return buf;
}

bool Matches(const Record& r, const std::pair<std::string, std::string>& attr) {
  const auto& [key, value] = attr;
  if (key == "EventId") return r.event_id == value;
  if (key == "EventName") return r.event_name == value;
  if (key == "ReadOnly") return (r.read_only ? "true" : "false") == value;
  if (key == "Username") return r.username == value;
  if (key == "EventSource") return r.event_source == value;
  if (key == "AccessKeyId") return r.access_key_id == value;
  for (const auto& [type, name] : r.resources) {
    if ((key == "ResourceType" && type == value) || (key == "ResourceName" && name == value)) {
      return true;
    }
  }
  return false;
}

struct Line {
  uint64_t offset;
  std::string_view text;  // without '\n'
  bool complete;          // ended by '\n'
};

std::vector<Line> Lines(std::string_view data) {
  std::vector<Line> out;
  size_t at = 0;
  while (at < data.size()) {
    const size_t nl = data.find('\n', at);
    if (nl == std::string_view::npos) {
      out.push_back({at, data.substr(at), false});
      break;
    }
    out.push_back({at, data.substr(at, nl - at), true});
    at = nl + 1;
  }
  return out;
}

class TrailImpl final : public Trail {
 public:
  TrailImpl(std::string dir, const Clock* clock, Logger* logger)
      : dir_(std::move(dir)), clock_(clock), logger_(logger) {}
  ~TrailImpl() override {
    if (fd_ >= 0) ::close(fd_);
  }

  Status Init() {
    RETURN_IF_ERROR(storage::CreateDirs(dir_, 0700));
    ASSIGN_OR_RETURN(const std::vector<std::string> names, storage::ListDir(dir_));
    std::vector<uint64_t> numbers;
    for (const std::string& n : names) {
      if (const auto number = FileNumber(n)) numbers.push_back(*number);
    }
    std::sort(numbers.begin(), numbers.end());
    for (size_t f = 0; f < numbers.size(); ++f) {
      const std::string path = dir_ + "/" + FileName(numbers[f]);
      ASSIGN_OR_RETURN(const std::string data, storage::ReadFile(path));
      size_t line_no = 0;
      for (const Line& l : Lines(data)) {
        ++line_no;
        if (!l.complete) {
          if (f + 1 != numbers.size()) {
            logger_->Error("audit", path + ":" + std::to_string(line_no) +
                                        ": a line cut short inside the trail (vigil audit verify)");
            continue;
          }
          logger_->Warning("audit", path + ": removing a last line cut short by a crash");
          if (::truncate(path.c_str(), static_cast<off_t>(l.offset)) != 0) {
            return UnavailableError("truncating " + path + ": " + std::strerror(errno));
          }
          break;
        }
        const Json j = Json::parse(l.text, nullptr, false);
        if (!j.is_object()) {
          logger_->Error("audit", path + ":" + std::to_string(line_no) +
                                      ": not a record (vigil audit verify names the damage)");
          continue;
        }
        index_.push_back({j.value("time", int64_t{0}), j.value("seq", uint64_t{0}),
                          static_cast<uint32_t>(f), l.offset,
                          static_cast<uint32_t>(l.text.size())});
        next_seq_ = std::max(next_seq_, index_.back().seq + 1);
        last_hash_ = j.value("hash", last_hash_);
      }
      paths_.push_back(path);
    }
    if (paths_.empty()) return OpenFile(1);
    ASSIGN_OR_RETURN(const uint64_t size, storage::FileSize(paths_.back()));
    current_ = numbers.back();
    return OpenFile(current_, size);
  }

  Status Append(Record r) override {
    std::lock_guard l(mu_);
    if (!broken_.ok()) return broken_;
    r.time_ms = clock_->NowMillis();
    if (r.event_id.empty()) r.event_id = NewEventId();
    r.seq = next_seq_;
    r.prev_hash = last_hash_;
    Json j = Body(r);
    r.hash = HashOf(j, r.prev_hash);
    j["hash"] = r.hash;
    const std::string line = Dump(j) + "\n";
    if (file_size_ > 0 && file_size_ + line.size() > kFileBytes) {
      RETURN_IF_ERROR(OpenFile(current_ + 1));
    }
    size_t done = 0;
    while (done < line.size()) {
      const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        broken_ = UnavailableError("writing " + paths_.back() + ": " + std::strerror(errno));
        return broken_;
      }
      done += static_cast<size_t>(n);
    }
    if (::fdatasync(fd_) != 0) {
      broken_ = UnavailableError("syncing " + paths_.back() + ": " + std::strerror(errno));
      return broken_;
    }
    index_.push_back({r.time_ms, r.seq, static_cast<uint32_t>(paths_.size() - 1), file_size_,
                      static_cast<uint32_t>(line.size() - 1)});
    file_size_ += line.size();
    ++next_seq_;
    last_hash_ = r.hash;
    return OkStatus();
  }

  StatusOr<LookupResult> Find(const Lookup& q) const override {
    std::lock_guard l(mu_);
    LookupResult out;
    std::vector<int> fds(paths_.size(), -1);
    auto close_all = [&] {
      for (int fd : fds) {
        if (fd >= 0) ::close(fd);
      }
    };
    for (auto it = index_.rbegin(); it != index_.rend(); ++it) {
      if (q.before_seq && it->seq >= *q.before_seq) continue;
      if (it->time_ms > q.end_ms) continue;
      if (it->time_ms < q.start_ms) break;  // appended in time order
      if (fds[it->file] < 0) fds[it->file] = ::open(paths_[it->file].c_str(), O_RDONLY | O_CLOEXEC);
      std::string text(it->length, '\0');
      if (fds[it->file] < 0 ||
          ::pread(fds[it->file], text.data(), text.size(), static_cast<off_t>(it->offset)) !=
              static_cast<ssize_t>(text.size())) {
        close_all();
        return UnavailableError("reading " + paths_[it->file] + ": " + std::strerror(errno));
      }
      const Json j = Json::parse(text, nullptr, false);
      if (!j.is_object()) continue;
      Record r = FromJson(j);
      if (q.attribute && !Matches(r, *q.attribute)) continue;
      if (out.records.size() == q.limit) {
        out.next_before_seq = out.records.back().seq;
        break;
      }
      out.records.push_back(std::move(r));
    }
    close_all();
    return out;
  }

 private:
  struct Entry {
    int64_t time_ms;
    uint64_t seq;
    uint32_t file;  // index into paths_
    uint64_t offset;
    uint32_t length;
  };

  // Makes file `number` the one appended to (`size` bytes long already).
  Status OpenFile(uint64_t number, uint64_t size = 0) {
    const std::string path = dir_ + "/" + FileName(number);
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) return UnavailableError("opening " + path + ": " + std::strerror(errno));
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
    if (paths_.empty() || paths_.back() != path) {
      paths_.push_back(path);
      RETURN_IF_ERROR(storage::SyncDir(dir_));
    }
    current_ = number;
    file_size_ = size;
    return OkStatus();
  }

  const std::string dir_;
  const Clock* const clock_;
  Logger* const logger_;
  mutable std::mutex mu_;
  std::vector<std::string> paths_;    // guarded by mu_, in order
  std::vector<Entry> index_;          // guarded by mu_, in append order
  int fd_ = -1;                       // guarded by mu_
  uint64_t current_ = 1;              // guarded by mu_
  uint64_t file_size_ = 0;            // guarded by mu_
  uint64_t next_seq_ = 1;             // guarded by mu_
  std::string last_hash_ = kGenesis;  // guarded by mu_
  Status broken_ = OkStatus();        // guarded by mu_
};

}  // namespace

Json Redact(const Json& params) {
  if (params.is_array()) {
    Json out = Json::array();
    for (const Json& v : params) out.push_back(Redact(v));
    return out;
  }
  if (!params.is_object()) return params;
  Json out = Json::object();
  for (const auto& [key, value] : params.items()) {
    std::string lower = key;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const bool secret =
        lower.find("password") != std::string::npos || lower.find("secret") != std::string::npos ||
        lower.find("token") != std::string::npos || lower.find("privatekey") != std::string::npos ||
        lower.find("signature") != std::string::npos;
    const bool paging = lower == "nexttoken";
    out[key] = secret && !paging ? Json("***") : Redact(value);
  }
  return out;
}

StatusOr<std::unique_ptr<Trail>> Trail::Open(const std::string& dir, const Clock* clock,
                                             Logger* logger) {
  auto trail = std::make_unique<TrailImpl>(dir, clock, logger);
  RETURN_IF_ERROR(trail->Init());
  return std::unique_ptr<Trail>(std::move(trail));
}

StatusOr<VerifyResult> Verify(const std::string& dir) {
  VerifyResult v;
  v.head_hash = kGenesis;
  ASSIGN_OR_RETURN(const std::vector<std::string> names, storage::ListDir(dir));
  std::vector<uint64_t> numbers;
  for (const std::string& n : names) {
    if (const auto number = FileNumber(n)) numbers.push_back(*number);
  }
  std::sort(numbers.begin(), numbers.end());
  uint64_t expected_seq = 1;
  for (size_t f = 0; f < numbers.size(); ++f) {
    const std::string path = dir + "/" + FileName(numbers[f]);
    if (f > 0 && numbers[f] != numbers[f - 1] + 1) {
      v.problem = "trail file " + FileName(numbers[f - 1] + 1) + " is missing";
      v.file = path;
      v.line = 1;
      return v;
    }
    ASSIGN_OR_RETURN(const std::string data, storage::ReadFile(path));
    size_t line_no = 0;
    for (const Line& l : Lines(data)) {
      ++line_no;
      auto broken = [&](std::string problem, uint64_t seq) {
        v.problem = std::move(problem);
        v.file = path;
        v.line = line_no;
        v.seq = seq;
        return v;
      };
      if (!l.complete) return broken("the last line is cut short", 0);
      Json j = Json::parse(l.text, nullptr, false);
      if (!j.is_object() || !j.contains("hash") || !j["hash"].is_string()) {
        return broken("not a trail record", 0);
      }
      const std::string hash = j["hash"].get<std::string>();
      j.erase("hash");
      const uint64_t seq = j.value("seq", uint64_t{0});
      if (seq != expected_seq) {
        return broken("record " + std::to_string(seq) + " where " + std::to_string(expected_seq) +
                          " should be (records removed or reordered)",
                      seq);
      }
      if (j.value("prevHash", "") != v.head_hash) {
        return broken("its prevHash is not the previous record's hash", seq);
      }
      // Hashed as written: the canonical form of the body (keys sorted, as Body makes them).
      if (HashOf(j, v.head_hash) != hash) {
        return broken("its content does not match its hash (edited)", seq);
      }
      v.head_hash = hash;
      ++v.records;
      ++expected_seq;
    }
  }
  return v;
}

}  // namespace vigil::audit
