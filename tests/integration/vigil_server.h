#pragma once
// The end-to-end fixture: a real `vigil server` process on a temporary data directory and a
// free port, driven by the real aws CLIs (both wire protocols) and by raw signed requests.
//
// Paths come from compile definitions set by tests/integration/CMakeLists.txt:
//   VIGIL_BINARY   the vigil executable
//   VIGIL_AWS_V2   Debian's awscli 2.9 (CloudWatch query/XML protocol), "" when absent
//   VIGIL_AWS_V1   pip awscli 1.45 (CloudWatch JSON 1.0 protocol), "" when absent
//   VIGIL_FAKETIME faketime(1), "" when absent
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "tests/testutil/process.h"
#include "tests/testutil/sigv4_signer.h"

namespace vigil::integration {

using testutil::HttpClient;
using testutil::HttpRequest;
using testutil::HttpResponse;

// The two real clients.
enum class Cli { kV2Query, kV1Json };
// Both, for INSTANTIATE_TEST_SUITE_P.
inline constexpr Cli kBothClis[] = {Cli::kV2Query, Cli::kV1Json};
// "V2Query" / "V1Json" (test-name suffixes).
std::string CliName(Cli cli);
// Path of the client, "" when it was not found at configure time.
std::string CliPath(Cli cli);
// The exit code of a CloudWatch service error: 254 for CLI v2, 255 for v1.
int ServiceErrorExitCode(Cli cli);
// For INSTANTIATE_TEST_SUITE_P(..., testing::ValuesIn(kBothClis), CliParamName).
std::string CliParamName(const testing::TestParamInfo<Cli>& info);
std::string FaketimePath();

// The root key every test server is started with (VIGIL_ROOT_* environment variables).
inline constexpr char kAccessKeyId[] = "AKIAVIGILINTEGTEST01";
inline constexpr char kSecretAccessKey[] = "vigil/Integ+Test/Secret0123456789abcdefXY";

struct AwsResult {
  std::string command;  // as run, for messages
  int exit_code = -1;   // -1 when it did not exit normally
  std::string out, err;
  // stdout parsed as JSON (null when empty or not JSON).
  nlohmann::json Json() const;
  // A multi-line description for assertion messages.
  std::string Describe() const;
};

struct AwsOptions {
  // Extra environment (e.g. other credentials); nullopt removes a variable.
  std::vector<std::pair<std::string, std::optional<std::string>>> env = {};
  // Words run in front of the CLI, e.g. {faketime, "-f", "-20m"}.
  std::vector<std::string> prefix = {};
};

// One vigil server process and its data directory (removed on destruction). Not thread-safe,
// except RunAws() and NewClient(), which may be called from several threads while it runs.
class VigilServer {
 public:
  VigilServer();   // creates the temporary data directory; does not start the server
  ~VigilServer();  // kills a running server (SIGKILL) and removes the directory

  // Starts `vigil server --data-dir D --listen 127.0.0.1:0` with the fixed root key and waits
  // for its "vigil listening on http[s]://HOST:PORT" line. Errors: Unavailable when it cannot be
  // spawned or exits first, DeadlineExceeded when the line does not come in time.
  Status Start();
  // The same with extra arguments (e.g. {"--config", path}), kept for later Start()/Restart().
  Status Start(std::vector<std::string> extra_args);
  // SIGTERM, then waits for the exit: OK only for exit code 0.
  Status Stop();
  // Stop() then Start() on the same data directory (a new port).
  Status Restart();
  // SIGKILL, then reaps it.
  void KillHard();
  // Sends `sig` to the server process (false when it is not running).
  bool Signal(int sig);
  // Waits for the server to exit after a signal sent with Signal().
  std::optional<testutil::ExitStatus> WaitExit(std::chrono::milliseconds timeout);

  bool running() const { return process_ && process_->running(); }
  uint16_t port() const { return port_; }
  // http://127.0.0.1:PORT, or https:// when it serves TLS (RunAws and RunVigil then need the
  // CA bundle among their arguments).
  std::string endpoint() const {
    return (tls_ ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(port_);
  }
  const std::string& data_dir() const { return data_dir_; }
  // The server's stderr (its log) so far, for failure messages.
  std::string Logs() const;

  // Runs `<cli> <args...> --endpoint-url E --output json` with the data dir's credentials file,
  // region us-east-1, no config file, no pager, a single attempt (no retries).
  AwsResult RunAws(Cli cli, const std::vector<std::string>& args,
                   const AwsOptions& options = {}) const;

  // Writes `content` to a file in a scratch directory; returns its path.
  std::string WriteScratchFile(const std::string& name, const std::string& content) const;

  // Runs `vigil <args...> --endpoint E --data-dir D` (a client command such as `metrics list`)
  // against this server, with no AWS_* credentials in the environment; with `stdin_text` on its
  // standard input when that is not empty (e.g. a password for --password-stdin).
  AwsResult RunVigil(const std::vector<std::string>& args,
                     const std::string& stdin_text = "") const;

  // The port of app `name`'s load balancer, from its "app NAME load balancer on" line.
  StatusOr<uint16_t> AppPort(const std::string& app) const;
  // GET `path` signed with the root key; the answer's status and its body parsed as JSON.
  StatusOr<std::pair<int, nlohmann::json>> GetJson(const std::string& path) const;
  // The server's stdout so far.
  std::string Stdout() const;

  std::unique_ptr<HttpClient> NewClient() const;
  testutil::SigV4Key Key() const;
  // GET `path` over a fresh connection.
  StatusOr<HttpResponse> Get(const std::string& path) const;

 private:
  std::string root_;      // temporary directory holding data/ and scratch/
  std::string data_dir_;  // root_/data
  std::unique_ptr<testutil::Process> process_;
  std::vector<std::string> extra_args_;
  uint16_t port_ = 0;
  bool tls_ = false;
  mutable int stdin_files_ = 0;  // RunVigil's stdin files so far
};

// Raw CloudWatch requests (unsigned; Host set for `client`).
HttpRequest CloudWatchJsonRequest(const HttpClient& client, const std::string& operation,
                                  std::string body);
HttpRequest CloudWatchQueryRequest(const HttpClient& client, std::string form_body);
// Signs with `key` as of `when` and sends over `client`.
StatusOr<HttpResponse> SendSigned(
    HttpClient* client, const testutil::SigV4Key& key, HttpRequest request,
    std::chrono::system_clock::time_point when = std::chrono::system_clock::now());
// application/x-www-form-urlencoded encoding of one value (as Python's urlencode does it).
std::string FormEncode(const std::string& value);

// Time helpers (seconds since the epoch).
int64_t NowSeconds();
int64_t FloorMinute(int64_t t);
std::string Iso8601(int64_t t, int millis = 0);  // "2026-11-25T20:10:00Z" or "...:00.250Z"
// A timestamp as either CLI prints it: ISO 8601 text (v2) or epoch seconds (v1).
int64_t CliTimestamp(const nlohmann::json& value);

// The statistics of one GetMetricStatistics datapoint, with absent members as nullopt.
struct Stats {
  int64_t timestamp = 0;
  std::optional<double> sample_count, sum, minimum, maximum, average;
  std::optional<std::string> unit;
  nlohmann::json extended;  // ExtendedStatistics object, or null
};
// The Datapoints of a get-metric-statistics output, sorted by timestamp.
std::vector<Stats> ParseDatapoints(const nlohmann::json& output);

}  // namespace vigil::integration

// ASSERT_OK(status_or_statusor): fails the test with the status text.
#define VIGIL_INTEG_STATUS(x) ::vigil::integration::internal::StatusOf(x)
#define ASSERT_OK(x)                                                 \
  do {                                                               \
    const ::vigil::Status vigil_s_ = VIGIL_INTEG_STATUS(x);          \
    ASSERT_TRUE(vigil_s_.ok()) << #x << ": " << vigil_s_.ToString(); \
  } while (0)
#define EXPECT_OK(x)                                                 \
  do {                                                               \
    const ::vigil::Status vigil_s_ = VIGIL_INTEG_STATUS(x);          \
    EXPECT_TRUE(vigil_s_.ok()) << #x << ": " << vigil_s_.ToString(); \
  } while (0)

namespace vigil::integration::internal {
inline Status StatusOf(const Status& s) { return s; }
template <typename T>
Status StatusOf(const StatusOr<T>& s) {
  return s.status();
}
}  // namespace vigil::integration::internal

namespace vigil::integration {

// A test run once per aws CLI against a fresh server (INSTANTIATE_TEST_SUITE_P with
// kBothClis): skipped when that CLI is missing; the server starts before each test and must
// stop cleanly after it.
class ServerTest : public testing::TestWithParam<Cli> {
 protected:
  void SetUp() override {
    if (CliPath(GetParam()).empty()) GTEST_SKIP() << CliName(GetParam()) << " aws CLI not found";
    ASSERT_OK(server_.Start());
  }
  void TearDown() override {
    if (server_.running()) EXPECT_OK(server_.Stop());
  }
  AwsResult Aws(const std::vector<std::string>& args) { return server_.RunAws(GetParam(), args); }

  VigilServer server_;
};

}  // namespace vigil::integration
