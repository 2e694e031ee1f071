// The fleet and its load balancer, end to end: a real `vigil server` supervising real
// vigil_test_app instances, driven over HTTP.
//  - kill -9 of an instance under load: no failed request, a replacement healthy at once;
//  - a crash-looping command backs off and says why;
//  - a hung health endpoint takes an instance out of rotation without killing it;
//  - SIGTERM of Vigil leaves no process behind; kill -9 of Vigil leaves nothing a restart
//    does not clean up;
//  - bad configurations are refused before anything starts;
//  - load-balancer and instance metrics reach the store; the registry answers JSON.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <thread>

#include "tests/integration/vigil_server.h"

namespace vigil::integration {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

// An app of `instances` vigil_test_app instances behind a load balancer on a free port.
std::string AppYaml(const std::string& name, int instances, const std::string& extra_args = "",
                    const std::string& extra_keys = "") {
  return "  - name: " + name + "\n    command: [\"" VIGIL_TEST_APP "\", \"--port\", \"${PORT}\"" +
         extra_args + "]\n    instances: " + std::to_string(instances) +
         "\n    listen: 127.0.0.1:0\n" + extra_keys;
}

HttpRequest GetRequest(const std::string& target) {
  HttpRequest r;
  r.method = "GET";
  r.target = target;
  return r;
}

bool Alive(pid_t pid) { return ::kill(pid, 0) == 0 || errno != ESRCH; }

bool NoneAlive(const std::set<pid_t>& pids) {
  for (pid_t p : pids) {
    if (Alive(p)) return false;
  }
  return true;
}

// Every pid whose process group is `pgid` (from /proc).
std::set<pid_t> GroupMembers(pid_t pgid) {
  std::set<pid_t> out;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(in)), {});
    const size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    char state = 0;
    int ppid = 0, pgrp = 0;
    if (std::sscanf(stat.c_str() + close + 1, " %c %d %d", &state, &ppid, &pgrp) == 3 &&
        pgrp == pgid && state != 'Z') {
      out.insert(std::stoi(name));
    }
  }
  return out;
}

// Polls `pred` every 10 ms until it holds or `timeout` passes.
bool Await(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  while (SteadyClock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return pred();
}

class FleetTest : public testing::Test {
 protected:
  void StartWith(const std::string& apps_yaml) {
    const std::string path = server_.WriteScratchFile("vigil.yaml", "apps:\n" + apps_yaml);
    ASSERT_OK(server_.Start({"--config", path}));
  }

  // The app's instances from the registry (an empty array on any error).
  json Instances(const std::string& app) {
    auto r = server_.GetJson("/v1/apps/" + app + "/instances");
    if (!r.ok() || r->first != 200) return json::array();
    return r->second.value("instances", json::array());
  }

  json Instance(const std::string& app, const std::string& id) {
    for (const json& in : Instances(app)) {
      if (in["id"] == id) return in;
    }
    return json::object();
  }

  bool AllHealthy(const std::string& app, size_t n, std::chrono::milliseconds timeout = 20s) {
    return Await(
        [&] {
          json all = Instances(app);
          if (all.size() != n) return false;
          for (const json& in : all) {
            if (in["state"] != "healthy") return false;
          }
          return true;
        },
        timeout);
  }

  VigilServer server_;
};

TEST_F(FleetTest, RegistryListsAppsAndInstancesAndTheBalancerServesThem) {
  StartWith(AppYaml("web", 2));
  ASSERT_TRUE(AllHealthy("web", 2)) << Instances("web").dump(2) << server_.Logs();
  auto apps = server_.GetJson("/v1/apps");
  ASSERT_OK(apps);
  ASSERT_EQ(apps->first, 200);
  ASSERT_EQ(apps->second["apps"].size(), 1u);
  const json& app = apps->second["apps"][0];
  EXPECT_EQ(app["name"], "web");
  EXPECT_EQ(app["desired"], 2);
  EXPECT_EQ(app["healthy"], 2);
  EXPECT_TRUE(app["listen"].get<std::string>().starts_with("127.0.0.1:"));
  std::set<std::string> ids, addresses;
  for (const json& in : app["instances"]) {
    ids.insert(in["id"]);
    addresses.insert(in["address"]);
    EXPECT_GT(in["pid"].get<int>(), 0);
    EXPECT_TRUE(Alive(in["pid"].get<int>()));
    EXPECT_EQ(in["restarts"], 0);
    EXPECT_FALSE(in["reason"].get<std::string>().empty());
    EXPECT_TRUE(in["started_at"].is_string());
  }
  EXPECT_EQ(ids, (std::set<std::string>{"web-1", "web-2"}));
  EXPECT_EQ(addresses.size(), 2u);
  EXPECT_EQ(app["version"], "v1");  // the configuration's app
  EXPECT_TRUE(app["deployment"].is_null());
  // Each instance's last sample (every second; CPU needs two) and its uptime.
  ASSERT_TRUE(Await(
      [&] {
        for (const json& in : Instances("web")) {
          if (!in["cpu_percent"].is_number() || !in["rss_bytes"].is_number()) return false;
        }
        return true;
      },
      20s))
      << Instances("web").dump(2);
  for (const json& in : Instances("web")) {
    EXPECT_GE(in["cpu_percent"].get<double>(), 0);
    EXPECT_GT(in["rss_bytes"].get<int64_t>(), 0);
    EXPECT_GE(in["uptime_seconds"].get<int64_t>(), 0);
  }

  auto missing = server_.GetJson("/v1/apps/nope/instances");
  ASSERT_OK(missing);
  EXPECT_EQ(missing->first, 404);
  EXPECT_EQ(missing->second["error"]["code"], "NotFound");
  auto unsigned_get = server_.Get("/v1/apps");
  ASSERT_OK(unsigned_get);
  EXPECT_EQ(unsigned_get->status, 403);

  auto port = server_.AppPort("web");
  ASSERT_OK(port);
  HttpClient client(*port);
  std::set<std::string> backends;
  for (int i = 0; i < 20; ++i) {
    auto res = client.Send(GetRequest("/"), 5s);
    ASSERT_OK(res);
    ASSERT_EQ(res->status, 200) << res->body;
    EXPECT_TRUE(res->body.starts_with("ok ")) << res->body;
    backends.insert(res->Header("X-Backend-Pid").value_or(""));
  }
  EXPECT_EQ(backends.size(), 2u) << "both instances take traffic";
}

TEST_F(FleetTest, KillNineUnderLoadLosesNoRequestAndTheInstanceIsBackAtOnce) {
  StartWith(AppYaml("web", 3));
  ASSERT_TRUE(AllHealthy("web", 3)) << Instances("web").dump(2) << server_.Logs();
  auto port = server_.AppPort("web");
  ASSERT_OK(port);

  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::string> failures;
  std::mutex failures_mu;
  std::vector<std::thread> clients;
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&] {
      HttpClient client(*port);
      while (!stop) {
        auto res = client.Send(GetRequest("/"), 10s);
        if (res.ok() && res->status == 200) {
          ++ok;
          continue;
        }
        ++failed;
        std::lock_guard l(failures_mu);
        failures.push_back(res.ok() ? std::to_string(res->status) + " " + res->body
                                    : res.status().ToString());
        client.Close();
      }
    });
  }
  ASSERT_TRUE(Await([&] { return ok.load() > 200; }, 10s));
  const json victim = Instance("web", "web-2");
  const pid_t pid = victim["pid"].get<int>();
  const auto killed_at = SteadyClock::now();
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  const bool back = Await(
      [&] {
        json in = Instance("web", "web-2");
        return in.value("state", "") == "healthy" && in["pid"].get<int>() != pid;
      },
      5s);
  const auto back_after = SteadyClock::now() - killed_at;
  const int ok_at_return = ok.load();
  ASSERT_TRUE(Await([&] { return ok.load() > ok_at_return + 200; }, 10s));
  stop = true;
  for (auto& t : clients) t.join();

  EXPECT_EQ(failed.load(), 0) << (failures.empty() ? "" : failures.front());
  ASSERT_TRUE(back) << Instance("web", "web-2").dump(2) << server_.Logs();
  EXPECT_LT(back_after, 2s) << "a killed instance should be healthy again at once";
  const json now = Instance("web", "web-2");
  EXPECT_EQ(now["restarts"], 1);
  EXPECT_NE(now["reason"].get<std::string>().find("health check"), std::string::npos) << now;
  EXPECT_NE(server_.Logs().find("web-2 killed by signal 9"), std::string::npos);
}

TEST_F(FleetTest, ACrashLoopingCommandBacksOffAndSaysWhy) {
  StartWith(AppYaml("crashy", 1, ", \"--exit-after-ms\", \"0\", \"--exit-code\", \"3\"",
                    "    min_uptime: 10s\n    backoff: { initial: 100ms, max: 400ms }\n"));
  ASSERT_TRUE(Await(
      [&] {
        json in = Instance("crashy", "crashy-1");
        return in.value("state", "") == "crash-looping" && in.value("restarts", 0) >= 3;
      },
      10s))
      << Instances("crashy").dump(2);
  const json in = Instance("crashy", "crashy-1");
  const std::string reason = in["reason"];
  EXPECT_NE(reason.find("exited with status 3"), std::string::npos) << reason;
  EXPECT_NE(reason.find("next start in"), std::string::npos) << reason;
  // Backoff: 0, 100, 200, 400, 400 ms... — a handful of restarts in two seconds, not hundreds.
  const int before = in["restarts"];
  std::this_thread::sleep_for(2s);  // measuring a rate over a fixed window
  const int during = Instance("crashy", "crashy-1")["restarts"].get<int>() - before;
  EXPECT_GE(during, 3);
  EXPECT_LE(during, 8);
  std::ifstream log(server_.data_dir() + "/fleet/crashy/crashy-1.log");
  std::string text((std::istreambuf_iterator<char>(log)), {});
  EXPECT_NE(text.find("crashing at start (exit 3)"), std::string::npos) << text;
}

TEST_F(FleetTest, AHungHealthEndpointTakesTheInstanceOutWithoutKillingIt) {
  const std::string hang = server_.WriteScratchFile("placeholder", "");
  const std::string dir = hang.substr(0, hang.rfind('/'));
  StartWith(AppYaml("web", 2, ", \"--hang-health-if\", \"" + dir + "/hang-${INSTANCE_ID}\"",
                    "    health_check: { path: /health, interval: 200ms, timeout: 100ms,"
                    " healthy_threshold: 2, unhealthy_threshold: 2 }\n"));
  ASSERT_TRUE(AllHealthy("web", 2)) << Instances("web").dump(2) << server_.Logs();
  const pid_t pid1 = Instance("web", "web-1")["pid"].get<int>();
  const pid_t pid2 = Instance("web", "web-2")["pid"].get<int>();
  server_.WriteScratchFile("hang-web-1", "");
  ASSERT_TRUE(
      Await([&] { return Instance("web", "web-1").value("state", "") == "unhealthy"; }, 5s));
  json out = Instance("web", "web-1");
  EXPECT_EQ(out["pid"], pid1) << "taken out of rotation, not killed";
  EXPECT_EQ(out["restarts"], 0);
  EXPECT_NE(out["reason"].get<std::string>().find("timed out"), std::string::npos) << out;

  auto port = server_.AppPort("web");
  ASSERT_OK(port);
  HttpClient client(*port);
  for (int i = 0; i < 20; ++i) {
    auto res = client.Send(GetRequest("/"), 5s);
    ASSERT_OK(res);
    ASSERT_EQ(res->status, 200);
    EXPECT_EQ(res->Header("X-Backend-Pid"), std::to_string(pid2));
  }
  std::filesystem::remove(dir + "/hang-web-1");
  ASSERT_TRUE(Await([&] { return Instance("web", "web-1").value("state", "") == "healthy"; }, 5s));
  EXPECT_EQ(Instance("web", "web-1")["pid"], pid1);
  EXPECT_TRUE(Alive(pid1));
}

TEST_F(FleetTest, SigtermOfVigilLeavesNoProcessBehind) {
  StartWith(AppYaml("web", 2, ", \"--spawn-child\""));
  ASSERT_TRUE(AllHealthy("web", 2)) << server_.Logs();
  std::set<pid_t> all;
  for (const json& in : Instances("web")) {
    const std::set<pid_t> group = GroupMembers(in["pid"].get<int>());
    EXPECT_EQ(group.size(), 2u) << "the instance and its child";
    all.insert(group.begin(), group.end());
  }
  ASSERT_OK(server_.Stop());
  EXPECT_TRUE(Await([&] { return NoneAlive(all); }, 5s));
}

TEST_F(FleetTest, KillNineOfVigilLeavesNothingARestartDoesNotCleanUp) {
  StartWith(AppYaml("web", 2, ", \"--spawn-child\""));
  ASSERT_TRUE(AllHealthy("web", 2)) << server_.Logs();
  std::set<pid_t> groups;
  for (const json& in : Instances("web")) groups.insert(in["pid"].get<int>());
  server_.KillHard();
  // The instances die with Vigil; their children, in the same groups, are still there...
  ASSERT_TRUE(Await([&] { return NoneAlive(groups); }, 5s));
  size_t left = 0;
  for (pid_t g : groups) left += GroupMembers(g).size();
  EXPECT_EQ(left, 2u) << "each instance's child outlives a kill -9 of Vigil";
  // ... until Vigil starts again and finds them through its pidfiles.
  ASSERT_OK(server_.Start());
  EXPECT_TRUE(Await(
      [&] {
        for (pid_t g : groups) {
          if (!GroupMembers(g).empty()) return false;
        }
        return true;
      },
      5s));
  EXPECT_NE(server_.Logs().find("left running by a previous Vigil"), std::string::npos)
      << server_.Logs();
  EXPECT_TRUE(AllHealthy("web", 2));
}

TEST_F(FleetTest, BadConfigurationsAreRefusedBeforeAnythingStarts) {
  struct Case {
    std::string yaml;
    std::string want;  // in stderr
  };
  // A port some other program holds.
  const int holder = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(holder, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(holder, 1), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(holder, reinterpret_cast<sockaddr*>(&addr), &len);
  const std::string taken = std::to_string(ntohs(addr.sin_port));
  const Case cases[] = {
      {"apps:\n  - name: web\n    command: [\"true\"]\n    health_check: { interval: soon }\n",
       "bad.yaml:4:31: apps[0].health_check.interval"},
      {"apps:\n  - name: web\n    command: [\"true\"]\n    instance: 3\n",
       "bad.yaml:4:5: apps[0].instance"},
      {"apps:\n  - name: web\n", "apps[0]"},
      {"apps:\n  - name: web\n    command: [\"/no/such/program\"]\n",
       "cannot run '/no/such/program'"},
      {"apps:\n  - name: web\n    command: [\"" VIGIL_TEST_APP "\"]\n    listen: 127.0.0.1:" +
           taken + "\n",
       "cannot listen on 127.0.0.1:" + taken},
  };
  for (const Case& c : cases) {
    const std::string path = server_.WriteScratchFile("bad.yaml", c.yaml);
    auto r = testutil::RunCommand({.argv = {VIGIL_BINARY, "server", "--config", path, "--data-dir",
                                            server_.data_dir(), "--listen", "127.0.0.1:0"}},
                                  30s);
    ASSERT_OK(r);
    EXPECT_FALSE(r->status.ok()) << c.yaml;
    EXPECT_NE(r->err.find(c.want), std::string::npos) << c.yaml << "\nstderr:\n" << r->err;
    EXPECT_EQ(r->out.find("vigil listening"), std::string::npos) << "refused before serving";
  }
  ::close(holder);
}

// GetMetricStatistics over the last ten minutes, one period: the datapoint, or null.
json Statistics(const VigilServer& server, const std::string& ns, const std::string& metric,
                const std::vector<std::pair<std::string, std::string>>& dims,
                const std::string& extended = "") {
  auto client = server.NewClient();
  json dimensions = json::array();
  for (const auto& [k, v] : dims) dimensions.push_back({{"Name", k}, {"Value", v}});
  const int64_t now = NowSeconds();
  json body = {{"Namespace", ns},        {"MetricName", metric}, {"Dimensions", dimensions},
               {"StartTime", now - 600}, {"EndTime", now + 60},  {"Period", 660}};
  if (extended.empty()) {
    body["Statistics"] = {"SampleCount", "Sum", "Maximum"};
  } else {
    body["ExtendedStatistics"] = {extended};
  }
  auto r = SendSigned(client.get(), server.Key(),
                      CloudWatchJsonRequest(*client, "GetMetricStatistics", body.dump()));
  if (!r.ok() || r->status != 200) return nullptr;
  json out = json::parse(r->body, nullptr, false);
  if (!out.is_object() || out["Datapoints"].empty()) return nullptr;
  return out["Datapoints"][0];
}

TEST_F(FleetTest, BalancerAndInstanceMetricsReachTheStore) {
  StartWith(AppYaml("web", 2, "", "    metrics_path: /metrics\n"));
  ASSERT_TRUE(AllHealthy("web", 2)) << server_.Logs();
  auto port = server_.AppPort("web");
  ASSERT_OK(port);
  HttpClient client(*port);
  for (int i = 0; i < 50; ++i) {
    auto res = client.Send(GetRequest(i % 10 == 0 ? "/status/503" : "/"), 5s);
    ASSERT_OK(res);
  }
  const std::vector<std::pair<std::string, std::string>> app = {{"App", "web"}};
  EXPECT_TRUE(Await(
      [&] {
        json d = Statistics(server_, "Vigil/LoadBalancer", "RequestCount", app);
        return !d.is_null() && d["Sum"].get<double>() >= 50;
      },
      10s));
  json fivexx = Statistics(server_, "Vigil/LoadBalancer", "HTTPCode_Target_5XX_Count", app);
  ASSERT_FALSE(fivexx.is_null());
  EXPECT_EQ(fivexx["Sum"].get<double>(), 5);
  json p99 = Statistics(server_, "Vigil/LoadBalancer", "TargetResponseTime", app, "p99");
  ASSERT_FALSE(p99.is_null());
  const double seconds = p99["ExtendedStatistics"]["p99"];
  EXPECT_GT(seconds, 0);
  EXPECT_LT(seconds, 1);
  EXPECT_FALSE(Statistics(server_, "Vigil/LoadBalancer", "HealthyHostCount", app).is_null());

  const std::vector<std::pair<std::string, std::string>> instance = {{"App", "web"},
                                                                     {"InstanceId", "web-1"}};
  EXPECT_TRUE(Await(
      [&] {
        json rss = Statistics(server_, "Vigil/Instances", "MemoryRSS", instance);
        json cpu = Statistics(server_, "Vigil/Instances", "CPUUtilization", instance);
        json scraped = Statistics(server_, "Vigil/Instances", "test_app_requests_total", instance);
        return !rss.is_null() && rss["Maximum"].get<double>() > 0 && !cpu.is_null() &&
               !scraped.is_null();
      },
      10s));
  for (const char* metric : {"OpenFileDescriptors", "Threads", "Uptime", "Restarts"}) {
    EXPECT_FALSE(Statistics(server_, "Vigil/Instances", metric, instance).is_null()) << metric;
  }
  std::ifstream log(server_.data_dir() + "/lb/web/access.log");
  std::string text((std::istreambuf_iterator<char>(log)), {});
  EXPECT_NE(text.find("\"GET /status/503 HTTP/1.1\""), std::string::npos) << text;
}

}  // namespace
}  // namespace vigil::integration
