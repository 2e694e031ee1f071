#include "tests/integration/vigil_server.h"

#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <regex>

namespace vigil::integration {
namespace {

using namespace std::chrono_literals;

#ifndef VIGIL_BINARY
#error "VIGIL_BINARY must name the vigil executable"
#endif
#ifndef VIGIL_AWS_V2
#define VIGIL_AWS_V2 ""
#endif
#ifndef VIGIL_AWS_V1
#define VIGIL_AWS_V1 ""
#endif
#ifndef VIGIL_FAKETIME
#define VIGIL_FAKETIME ""
#endif

// Sanitizer builds start and answer several times slower.
constexpr auto kStartTimeout = 60s;
constexpr auto kStopTimeout = 60s;
constexpr auto kAwsTimeout = 180s;

std::string Quote(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    if (a.find_first_of(" '\"&|;<>()$`\\*?[]{}") == std::string::npos && !a.empty()) {
      out += a;
    } else {
      std::string q = "'";
      for (char c : a) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
      out += q + "'";
    }
  }
  return out;
}

// Runs a client (an aws CLI, `vigil metrics`) to completion and collects what it printed.
AwsResult RunClient(const testutil::SpawnOptions& spawn) {
  AwsResult result;
  result.command = Quote(spawn.argv);
  auto run = testutil::RunCommand(spawn, kAwsTimeout);
  if (!run.ok()) {
    result.err = run.status().ToString();
    return result;
  }
  result.exit_code = run->status.exited ? run->status.code : -1;
  result.out = std::move(run->out);
  result.err = std::move(run->err);
  return result;
}

}  // namespace

std::string CliName(Cli cli) { return cli == Cli::kV2Query ? "V2Query" : "V1Json"; }

std::string CliPath(Cli cli) { return cli == Cli::kV2Query ? VIGIL_AWS_V2 : VIGIL_AWS_V1; }

int ServiceErrorExitCode(Cli cli) { return cli == Cli::kV2Query ? 254 : 255; }

std::string CliParamName(const testing::TestParamInfo<Cli>& info) { return CliName(info.param); }

std::string FaketimePath() { return VIGIL_FAKETIME; }

nlohmann::json AwsResult::Json() const {
  return nlohmann::json::parse(out, nullptr, /*allow_exceptions=*/false);
}

std::string AwsResult::Describe() const {
  std::string s = "$ " + command + "\nexit code: " + std::to_string(exit_code) + "\nstdout:\n" +
                  out.substr(0, 4000) + "\nstderr:\n" + err.substr(0, 4000);
  return s;
}

VigilServer::VigilServer() {
  char tmpl[] = "/tmp/vigil-integ-XXXXXX";
  const char* dir = mkdtemp(tmpl);
  if (dir == nullptr) {
    ADD_FAILURE() << "mkdtemp failed";
    return;
  }
  root_ = dir;
  data_dir_ = root_ + "/data";
  std::filesystem::create_directories(root_ + "/scratch");
}

VigilServer::~VigilServer() {
  process_.reset();  // SIGKILLs a server that is still running
  if (!root_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
}

Status VigilServer::Start(std::vector<std::string> extra_args) {
  extra_args_ = std::move(extra_args);
  return Start();
}

Status VigilServer::Start() {
  if (running()) return FailedPreconditionError("the server is already running");
  process_.reset();
  testutil::SpawnOptions options;
  options.argv = {VIGIL_BINARY, "server"};
  options.argv.insert(options.argv.end(), extra_args_.begin(), extra_args_.end());
  // After --config, so that these win over the file.
  for (const char* arg : {"--data-dir", data_dir_.c_str(), "--listen", "127.0.0.1:0"}) {
    options.argv.push_back(arg);
  }
  options.env = {{"VIGIL_ROOT_ACCESS_KEY_ID", kAccessKeyId},
                 {"VIGIL_ROOT_SECRET_ACCESS_KEY", kSecretAccessKey}};
  ASSIGN_OR_RETURN(process_, testutil::Process::Spawn(options));
  auto m = process_->WaitForLine(std::regex(R"(vigil listening on (https?)://([0-9.]+):([0-9]+))"),
                                 kStartTimeout);
  if (!m) {
    // No line: the output closed (the process is exiting, perhaps not yet reaped) or the time
    // ran out. A few seconds tell the two apart; they are spent only on a failed start.
    if (auto st = process_->Wait(5000ms)) {
      return UnavailableError("vigil exited before listening (" + st->ToString() + "); stderr:\n" +
                              process_->Stderr());
    }
    return Status(StatusCode::kDeadlineExceeded,
                  "no 'vigil listening on' line; stderr:\n" + process_->Stderr());
  }
  tls_ = (*m)[1] == "https";
  port_ = static_cast<uint16_t>(std::stoi((*m)[3]));
  if (port_ == 0) return InternalError("vigil reported port 0");
  return OkStatus();
}

Status VigilServer::Stop() {
  if (!running()) return FailedPreconditionError("the server is not running");
  process_->Signal(SIGTERM);
  std::optional<testutil::ExitStatus> st = process_->Wait(kStopTimeout);
  if (!st) {
    return Status(StatusCode::kDeadlineExceeded,
                  "vigil still running 60 s after SIGTERM; stderr:\n" + process_->Stderr());
  }
  if (!st->ok()) {
    return InternalError("vigil ended with " + st->ToString() + " after SIGTERM; stderr:\n" +
                         process_->Stderr());
  }
  return OkStatus();
}

Status VigilServer::Restart() {
  RETURN_IF_ERROR(Stop());
  return Start();
}

void VigilServer::KillHard() {
  if (!running()) return;
  process_->Signal(SIGKILL);
  process_->Wait(kStopTimeout);
}

bool VigilServer::Signal(int sig) { return running() && process_->Signal(sig); }

std::optional<testutil::ExitStatus> VigilServer::WaitExit(std::chrono::milliseconds timeout) {
  if (!process_) return std::nullopt;
  return process_->Wait(timeout);
}

std::string VigilServer::Logs() const { return process_ ? process_->Stderr() : ""; }

AwsResult VigilServer::RunAws(Cli cli, const std::vector<std::string>& args,
                              const AwsOptions& options) const {
  testutil::SpawnOptions spawn;
  spawn.argv = options.prefix;
  spawn.argv.push_back(CliPath(cli));
  spawn.argv.insert(spawn.argv.end(), args.begin(), args.end());
  for (const char* a : {"--endpoint-url", "", "--output", "json"}) spawn.argv.push_back(a);
  spawn.argv[spawn.argv.size() - 3] = endpoint();
  spawn.env = {{"AWS_SHARED_CREDENTIALS_FILE", data_dir_ + "/credentials"},
               {"AWS_DEFAULT_REGION", "us-east-1"},
               {"AWS_CONFIG_FILE", "/dev/null"},
               {"AWS_PAGER", ""},
               // One attempt: a retried PutMetricData could count samples twice, and a
               // retried 5xx would hide the first answer and cost seconds. (CLI v2 then adds
               // "(reached max retries: 0)" to every error message.)
               {"AWS_MAX_ATTEMPTS", "1"},
               {"AWS_ACCESS_KEY_ID", std::nullopt},
               {"AWS_SECRET_ACCESS_KEY", std::nullopt},
               {"AWS_SESSION_TOKEN", std::nullopt},
               {"AWS_PROFILE", std::nullopt},
               {"AWS_DEFAULT_PROFILE", std::nullopt},
               {"AWS_REGION", std::nullopt},
               {"AWS_ENDPOINT_URL", std::nullopt},
               {"AWS_CA_BUNDLE", std::nullopt}};
  spawn.env.insert(spawn.env.end(), options.env.begin(), options.env.end());
  return RunClient(spawn);
}

AwsResult VigilServer::RunVigil(const std::vector<std::string>& args,
                                const std::string& stdin_text) const {
  testutil::SpawnOptions spawn;
  if (!stdin_text.empty()) {
    // Children start with stdin from /dev/null: a shell redirects it from a scratch file.
    const std::string file =
        WriteScratchFile("stdin-" + std::to_string(++stdin_files_), stdin_text);
    spawn.argv = {"/bin/sh", "-c", "exec \"$0\" \"$@\" < \"$VIGIL_TEST_STDIN\""};
    spawn.env.emplace_back("VIGIL_TEST_STDIN", file);
  }
  spawn.argv.push_back(VIGIL_BINARY);
  spawn.argv.insert(spawn.argv.end(), args.begin(), args.end());
  for (const std::string& a : {std::string("--endpoint"), endpoint(), std::string("--data-dir"),
                               data_dir_}) {
    spawn.argv.push_back(a);
  }
  spawn.env.insert(spawn.env.end(), {{"AWS_ACCESS_KEY_ID", std::nullopt},
                                     {"AWS_SECRET_ACCESS_KEY", std::nullopt},
                                     {"VIGIL_ENDPOINT", std::nullopt}});
  return RunClient(spawn);
}

std::string VigilServer::WriteScratchFile(const std::string& name,
                                          const std::string& content) const {
  const std::string path = root_ + "/scratch/" + name;
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << content;
  return path;
}

std::unique_ptr<HttpClient> VigilServer::NewClient() const {
  return std::make_unique<HttpClient>(port_);
}

testutil::SigV4Key VigilServer::Key() const { return {kAccessKeyId, kSecretAccessKey}; }

StatusOr<HttpResponse> VigilServer::Get(const std::string& path) const {
  HttpClient client(port_);
  HttpRequest r;
  r.method = "GET";
  r.target = path;
  return client.Send(r, 30s);
}

StatusOr<uint16_t> VigilServer::AppPort(const std::string& app) const {
  if (!process_) return FailedPreconditionError("the server is not running");
  std::smatch m;
  const std::string out = process_->Stdout();
  if (!std::regex_search(
          out, m, std::regex("app " + app + " load balancer on https?://[0-9.]+:([0-9]+)"))) {
    return NotFoundError("no load balancer line for app " + app + " in:\n" + out);
  }
  return static_cast<uint16_t>(std::stoi(m[1]));
}

StatusOr<std::pair<int, nlohmann::json>> VigilServer::GetJson(const std::string& path) const {
  HttpClient client(port_);
  HttpRequest r;
  r.method = "GET";
  r.target = path;
  r.headers = {{"Host", client.Host()}};
  testutil::SigV4Key key = Key();
  key.service = "vigil";
  ASSIGN_OR_RETURN(HttpResponse res, SendSigned(&client, key, std::move(r)));
  nlohmann::json body = nlohmann::json::parse(res.body, nullptr, /*allow_exceptions=*/false);
  return std::make_pair(res.status, std::move(body));
}

std::string VigilServer::Stdout() const { return process_ ? process_->Stdout() : ""; }

HttpRequest CloudWatchJsonRequest(const HttpClient& client, const std::string& operation,
                                  std::string body) {
  HttpRequest r;
  r.headers = {{"Host", client.Host()},
               {"X-Amz-Target", "GraniteServiceVersion20100801." + operation},
               {"Content-Type", "application/x-amz-json-1.0"},
               {"x-amzn-query-mode", "true"}};
  r.body = std::move(body);
  return r;
}

HttpRequest CloudWatchQueryRequest(const HttpClient& client, std::string form_body) {
  HttpRequest r;
  r.headers = {{"Host", client.Host()},
               {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  r.body = std::move(form_body);
  return r;
}

StatusOr<HttpResponse> SendSigned(HttpClient* client, const testutil::SigV4Key& key,
                                  HttpRequest request, std::chrono::system_clock::time_point when) {
  testutil::SignV4(key, when, &request);
  return client->Send(request, 60s);
}

std::string FormEncode(const std::string& value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t FloorMinute(int64_t t) { return t - t % 60; }

std::string Iso8601(int64_t t, int millis) {
  std::time_t secs = t;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string s = buf;
  if (millis != 0) {
    char frac[8];
    std::snprintf(frac, sizeof frac, ".%03d", millis);
    s += frac;
  }
  return s + "Z";
}

int64_t CliTimestamp(const nlohmann::json& value) {
  if (value.is_number()) return static_cast<int64_t>(std::floor(value.get<double>()));
  if (!value.is_string()) return -1;
  const std::string s = value.get<std::string>();
  std::tm tm{};
  const char* rest = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (rest == nullptr) return -1;
  int64_t t = timegm(&tm);
  while (*rest == '.' || std::isdigit(static_cast<unsigned char>(*rest))) ++rest;
  // CLI v2 prints UTC as "+00:00"; apply any other offset.
  if (*rest == '+' || *rest == '-') {
    int hh = 0, mm = 0;
    std::sscanf(rest + 1, "%d:%d", &hh, &mm);
    t += (*rest == '+' ? -1 : 1) * (hh * 3600 + mm * 60);
  }
  return t;
}

std::vector<Stats> ParseDatapoints(const nlohmann::json& output) {
  std::vector<Stats> out;
  if (!output.is_object() || !output.contains("Datapoints")) return out;
  for (const auto& d : output["Datapoints"]) {
    Stats s;
    s.timestamp = CliTimestamp(d.value("Timestamp", nlohmann::json()));
    auto num = [&](const char* name) -> std::optional<double> {
      if (d.contains(name) && d[name].is_number()) return d[name].get<double>();
      return std::nullopt;
    };
    s.sample_count = num("SampleCount");
    s.sum = num("Sum");
    s.minimum = num("Minimum");
    s.maximum = num("Maximum");
    s.average = num("Average");
    if (d.contains("Unit") && d["Unit"].is_string()) s.unit = d["Unit"].get<std::string>();
    if (d.contains("ExtendedStatistics")) s.extended = d["ExtendedStatistics"];
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(),
            [](const Stats& a, const Stats& b) { return a.timestamp < b.timestamp; });
  return out;
}

}  // namespace vigil::integration
