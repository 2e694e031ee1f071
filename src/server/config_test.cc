#include "server/config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "auth/attempt_limiter.h"

namespace vigil::server {
namespace {

TEST(ConfigTest, Durations) {
  EXPECT_EQ(*ParseDurationMillis("15m"), 15 * 60 * 1000);
  EXPECT_EQ(*ParseDurationMillis("15d"), 15LL * 86'400'000);
  EXPECT_EQ(*ParseDurationMillis("250ms"), 250);
  EXPECT_FALSE(ParseDurationMillis("15").ok());
  EXPECT_FALSE(ParseDurationMillis("m").ok());
  EXPECT_FALSE(ParseDurationMillis("5w").ok());
}

TEST(ConfigTest, Sizes) {
  EXPECT_EQ(*ParseBytes("16MiB"), 16 << 20);
  EXPECT_EQ(*ParseBytes("512KiB"), 512 << 10);
  EXPECT_EQ(*ParseBytes("2GiB"), int64_t{2} << 30);
  EXPECT_EQ(*ParseBytes("4096"), 4096);
  EXPECT_EQ(*ParseBytes("10B"), 10);
  EXPECT_FALSE(ParseBytes("16MB").ok());
  EXPECT_FALSE(ParseBytes("MiB").ok());
  EXPECT_FALSE(ParseBytes("-1MiB").ok());
}

TEST(ConfigTest, Listen) {
  std::string host;
  uint16_t port = 0;
  ASSERT_TRUE(ParseListen("0.0.0.0:8080", &host, &port).ok());
  EXPECT_EQ(host, "0.0.0.0");
  EXPECT_EQ(port, 8080);
  ASSERT_TRUE(ParseListen("[::1]:0", &host, &port).ok());
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, 0);
  EXPECT_FALSE(ParseListen("localhost", &host, &port).ok());
  EXPECT_FALSE(ParseListen("localhost:70000", &host, &port).ok());
}

TEST(ConfigTest, AlarmsSection) {
  Config c;
  EXPECT_EQ(c.alarms.webhook_timeout_ms, 5000);
  EXPECT_EQ(c.alarms.action_attempts, 5);
  Status st = ApplyYaml(
      "alarms:\n  webhook_timeout: 2s\n  webhook_ca_file: /etc/ca.pem\n"
      "  action_attempts: 3\n",
      "vigil.yaml", &c);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(c.alarms.webhook_timeout_ms, 2000);
  EXPECT_EQ(c.alarms.webhook_ca_file, "/etc/ca.pem");
  EXPECT_EQ(c.alarms.action_attempts, 3);
}

TEST(ConfigTest, LoadBalancerSection) {
  Config c;
  Status st = ApplyYaml(R"(
load_balancer:
  threads: 4
  connect_timeout: 250ms
  stall_timeout: 100ms
  response_timeout: 30s
  idle_timeout: 2m
  max_attempts: 2
  retry_buffer: 64KiB
)",
                        "vigil.yaml", &c);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(c.load_balancer.threads, 4);
  EXPECT_EQ(c.load_balancer.connect_timeout_ms, 250);
  EXPECT_EQ(c.load_balancer.stall_timeout_ms, 100);
  EXPECT_EQ(c.load_balancer.response_timeout_ms, 30'000);
  EXPECT_EQ(c.load_balancer.idle_timeout_ms, 120'000);
  EXPECT_EQ(c.load_balancer.max_attempts, 2);
  EXPECT_EQ(c.load_balancer.retry_buffer_bytes, 64 << 10);
  ASSERT_TRUE(ApplyYaml("load_balancer:\n  threads: auto\n", "vigil.yaml", &c).ok());
  EXPECT_EQ(c.load_balancer.threads, 0);  // the load balancer picks
  st = ApplyYaml("load_balancer:\n  max_attempts: 0\n", "vigil.yaml", &c);
  EXPECT_EQ(st.message(),
            "vigil.yaml:2:17: load_balancer.max_attempts: expected an integer in [1, 10], got '0'");
}

TEST(ConfigTest, YamlOverridesDefaults) {
  Config c;
  ASSERT_TRUE(ApplyYaml(R"(
listen: 127.0.0.1:0
data_dir: /tmp/x
auth:
  max_clock_skew: 5m
  failed_attempts: {free: 3, first_delay: 5s, max_delay: 1h}
encryption:
  logs: true
tsdb:
  retention: 30d
  head_chunk_memory: 8MiB
remote_write:
  allow_unsigned: true
  namespace: Prom
http:
  worker_threads: 8
)",
                        "vigil.yaml", &c)
                  .ok());
  EXPECT_EQ(c.listen_port, 0);
  EXPECT_EQ(c.data_dir, "/tmp/x");
  EXPECT_EQ(c.max_clock_skew_ms, 5 * 60 * 1000);
  EXPECT_EQ(c.failed_attempts.free, 3);
  EXPECT_EQ(c.failed_attempts.first_delay_ms, 5'000);
  EXPECT_EQ(c.failed_attempts.max_delay_ms, 3'600'000);
  EXPECT_TRUE(c.encryption.logs);
  EXPECT_FALSE(c.encryption.metrics);  // off unless asked
  EXPECT_EQ(c.retention_ms, 30LL * 86'400'000);
  EXPECT_EQ(c.head_chunk_bytes, 8 << 20);
  EXPECT_TRUE(c.remote_write_allow_unsigned);
  EXPECT_EQ(c.remote_write_namespace, "Prom");
  EXPECT_EQ(c.worker_threads, 8);
}

TEST(ConfigTest, SignInAttempts) {
  // Unset, the sign-in limiter is AttemptLimiterOptions' defaults.
  const Config defaults;
  const auth::AttemptLimiterOptions limiter;
  EXPECT_EQ(defaults.sign_in_attempts.free, limiter.free_failures);
  EXPECT_EQ(defaults.sign_in_attempts.first_delay_ms, limiter.base_delay_ms);
  EXPECT_EQ(defaults.sign_in_attempts.max_delay_ms, limiter.max_delay_ms);
  EXPECT_EQ(defaults.failed_attempts.free, 10);

  Config c;
  ASSERT_TRUE(
      ApplyYaml("auth:\n  sign_in_attempts: {free: 2, first_delay: 250ms}\n", "vigil.yaml", &c)
          .ok());
  EXPECT_EQ(c.sign_in_attempts.free, 2);
  EXPECT_EQ(c.sign_in_attempts.first_delay_ms, 250);
  EXPECT_EQ(c.sign_in_attempts.max_delay_ms, limiter.max_delay_ms);  // left alone
  EXPECT_EQ(c.failed_attempts.free, 10);                             // a separate limiter

  Status st = ApplyYaml("auth:\n  sign_in_attempts:\n    max_delay: 0s\n", "vigil.yaml", &c);
  EXPECT_EQ(st.message(),
            "vigil.yaml:3:16: auth.sign_in_attempts.max_delay: must be at least 1ms, got '0s'");
  st = ApplyYaml("auth:\n  sign_in_attempts: {free: -1}\n", "vigil.yaml", &c);
  EXPECT_EQ(st.message(),
            "vigil.yaml:2:28: auth.sign_in_attempts.free: expected an integer in "
            "[0, 1000], got '-1'");
  st = ApplyYaml("auth:\n  sign_in_attempts: {tries: 3}\n", "vigil.yaml", &c);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(c.sign_in_attempts.free, 2);  // errors leave the config unchanged
}

TEST(ConfigTest, RollupTiers) {
  Config c;
  EXPECT_EQ(c.rollups, tsdb::DefaultRollupTiers());
  ASSERT_TRUE(ApplyYaml(R"(
tsdb:
  retention: 3h
  max_sample_age: 90d
  rollup_sketch_accuracy: 0.05
  rollups:
    - {period: 1m, retention: 15d}
    - {period: 1h, retention: 730d, eager: true}
)",
                        "vigil.yaml", &c)
                  .ok());
  EXPECT_EQ(c.retention_ms, 3 * 3'600'000);
  EXPECT_EQ(c.max_sample_age_ms, 90LL * 86'400'000);
  EXPECT_EQ(c.rollup_sketch_accuracy, 0.05);
  ASSERT_EQ(c.rollups.size(), 2u);
  EXPECT_EQ(c.rollups[0], (tsdb::RollupTier{60'000, 15LL * 86'400'000, false}));
  EXPECT_EQ(c.rollups[1].period_ms, 3'600'000);
  EXPECT_TRUE(c.rollups[1].eager);
  ASSERT_TRUE(ApplyYaml("tsdb:\n  rollups: []\n", "vigil.yaml", &c).ok());
  EXPECT_TRUE(c.rollups.empty());
  for (const char* bad : {"tsdb:\n  rollups: 5m\n", "tsdb:\n  rollups:\n    - {period: 5m}\n",
                          "tsdb:\n  rollups:\n    - {period: 1h, retention: 9d}\n"
                          "    - {period: 5m, retention: 9d}\n",
                          "tsdb:\n  rollups:\n    - {period: 5m, retention: 9d, size: 1}\n",
                          "tsdb:\n  rollup_sketch_accuracy: 2\n"}) {
    Status s = ApplyYaml(bad, "vigil.yaml", &c);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(s.message().find("tsdb.rollup"), std::string::npos) << s.message();
  }
}

TEST(ConfigTest, HeadChunkMemoryHasAFloor) {
  Config c;
  Status s = ApplyYaml("tsdb:\n  head_chunk_memory: 64KiB\n", "vigil.yaml", &c);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("head_chunk_memory"), std::string::npos) << s.message();
}

TEST(ConfigTest, UnknownKeysAreErrors) {
  Config c;
  Status s = ApplyYaml("tsdb:\n  retension: 5d\n", "vigil.yaml", &c);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("retension"), std::string::npos) << s.message();
  EXPECT_FALSE(ApplyYaml("bogus: 1\n", "vigil.yaml", &c).ok());
  EXPECT_FALSE(ApplyYaml("[1, 2]\n", "vigil.yaml", &c).ok());
}

// The example of the issue, as written.
TEST(ConfigAppsTest, IssueExampleParses) {
  Config c;
  Status s = ApplyYaml(R"(apps:
  - name: web
    command: ["python3", "-m", "http.server", "${PORT}"]   # ${PORT}: a free port Vigil picks per instance
    instances: 3
    listen: 127.0.0.1:8080                                  # the load balancer's listener for this app
    health_check: { path: /, interval: 1s, timeout: 500ms, healthy_threshold: 2, unhealthy_threshold: 2 }
)",
                       "vigil.yaml", &c);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_EQ(c.apps.size(), 1u);
  const fleet::AppSpec& web = c.apps[0];
  EXPECT_EQ(web.name, "web");
  EXPECT_EQ(web.command, (std::vector<std::string>{"python3", "-m", "http.server", "${PORT}"}));
  EXPECT_EQ(web.instances, 3);
  EXPECT_EQ(web.listen_host, "127.0.0.1");
  EXPECT_EQ(web.listen_port, 8080);
  ASSERT_TRUE(web.readiness.has_value());
  EXPECT_EQ(web.readiness->kind, fleet::CheckSpec::Kind::kHttp);
  EXPECT_EQ(web.readiness->path, "/");
  EXPECT_EQ(web.readiness->interval_ms, 1000);
  EXPECT_EQ(web.readiness->timeout_ms, 500);
  EXPECT_EQ(web.readiness->healthy_threshold, 2);
  EXPECT_EQ(web.readiness->unhealthy_threshold, 2);
  EXPECT_EQ(web.readiness->jitter, 0.1);
  EXPECT_FALSE(web.liveness.has_value());
  // What the file leaves out keeps AppSpec's defaults.
  const fleet::AppSpec defaults;
  EXPECT_TRUE(web.env.empty());
  EXPECT_EQ(web.restart, defaults.restart);
  EXPECT_EQ(web.stop_timeout_ms, defaults.stop_timeout_ms);
  EXPECT_EQ(web.backoff_max_ms, defaults.backoff_max_ms);
  EXPECT_EQ(web.consecutive_5xx, defaults.consecutive_5xx);
  EXPECT_TRUE(web.access_log);
  EXPECT_EQ(c.listen_port, 4510);  // other sections untouched
}

TEST(ConfigAppsTest, EveryKey) {
  Config c;
  Status s = ApplyYaml(R"(
apps:
  - name: api_2
    command: [./api, --port, "${PORT}"]
    instances: 1000
    listen: "[::1]:0"
    env: {B: "2", A: one, _PATH_X: /usr/bin}
    working_dir: /srv/api
    stop_timeout: 0ms
    drain_timeout: 30s
    min_uptime: 1m
    slow_start: 15s
    restart: on-failure
    backoff: {initial: 100ms, max: 100ms}
    health_check:
      type: tcp
      interval: 10ms
      timeout: 60s
      healthy_threshold: 1
      unhealthy_threshold: 100
      jitter: 50%
    liveness_check: {path: /live, jitter: 0}
    metrics_path: /metrics
    consecutive_5xx: 0
    access_log: false
  - name: Worker-1
    command: sleep 1000 && echo done
    restart: never
)",
                       "vigil.yaml", &c);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_EQ(c.apps.size(), 2u);
  const fleet::AppSpec& a = c.apps[0];
  EXPECT_EQ(a.name, "api_2");
  EXPECT_EQ(a.command, (std::vector<std::string>{"./api", "--port", "${PORT}"}));
  EXPECT_EQ(a.instances, 1000);
  EXPECT_EQ(a.listen_host, "::1");
  EXPECT_EQ(a.listen_port, 0);
  using Env = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(a.env, (Env{{"B", "2"}, {"A", "one"}, {"_PATH_X", "/usr/bin"}}));  // file order
  EXPECT_EQ(a.working_dir, "/srv/api");
  EXPECT_EQ(a.stop_timeout_ms, 0);
  EXPECT_EQ(a.drain_timeout_ms, 30'000);
  EXPECT_EQ(a.min_uptime_ms, 60'000);
  EXPECT_EQ(a.slow_start_ms, 15'000);
  EXPECT_EQ(a.restart, fleet::RestartPolicy::kOnFailure);
  EXPECT_EQ(a.backoff_initial_ms, 100);
  EXPECT_EQ(a.backoff_max_ms, 100);
  ASSERT_TRUE(a.readiness.has_value());
  EXPECT_EQ(a.readiness->kind, fleet::CheckSpec::Kind::kTcp);
  EXPECT_EQ(a.readiness->interval_ms, 10);
  EXPECT_EQ(a.readiness->timeout_ms, 60'000);
  EXPECT_EQ(a.readiness->healthy_threshold, 1);
  EXPECT_EQ(a.readiness->unhealthy_threshold, 100);
  EXPECT_EQ(a.readiness->jitter, 0.5);
  ASSERT_TRUE(a.liveness.has_value());
  EXPECT_EQ(a.liveness->kind, fleet::CheckSpec::Kind::kHttp);
  EXPECT_EQ(a.liveness->path, "/live");
  EXPECT_EQ(a.liveness->jitter, 0);
  EXPECT_EQ(a.liveness->interval_ms, fleet::CheckSpec().interval_ms);
  EXPECT_EQ(a.metrics_path, "/metrics");
  EXPECT_EQ(a.consecutive_5xx, 0);
  EXPECT_FALSE(a.access_log);
  // A string command runs through the shell; no listen: no load balancer.
  const fleet::AppSpec& w = c.apps[1];
  EXPECT_EQ(w.command, (std::vector<std::string>{"/bin/sh", "-c", "sleep 1000 && echo done"}));
  EXPECT_EQ(w.restart, fleet::RestartPolicy::kNever);
  EXPECT_TRUE(w.listen_host.empty());
  EXPECT_FALSE(w.readiness.has_value());
}

TEST(ConfigAppsTest, AppsListIsReplacedAndEmptyListAllowed) {
  Config c;
  ASSERT_TRUE(
      ApplyYaml("apps:\n  - {name: a, command: x}\n  - {name: b, command: y}\n", "vigil.yaml", &c)
          .ok());
  ASSERT_EQ(c.apps.size(), 2u);
  ASSERT_TRUE(ApplyYaml("apps: []\n", "vigil.yaml", &c).ok());
  EXPECT_TRUE(c.apps.empty());
}

TEST(ConfigAppsTest, ErrorsLeaveTheConfigUnchanged) {
  Config c;
  Status s = ApplyYaml("data_dir: /elsewhere\napps:\n  - {name: a, command: x, instances: 0}\n",
                       "vigil.yaml", &c);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(c.data_dir, Config().data_dir);
  EXPECT_TRUE(c.apps.empty());
}

// Each bad config and the exact error it gets: file:line:column: key path: what is wrong.
TEST(ConfigAppsTest, BadConfigsNamePositionPathAndProblem) {
  // Line 1 "apps:", line 2 "  - name: web" (the name at column 11), line 3 the command.
  const std::string app = "apps:\n  - name: web\n    command: [python3]\n";
  const std::string web2 = "  - name: web2\n    command: [python3]\n";
  const struct {
    std::string yaml;
    std::string error;
  } kCases[] = {
      // The issue's example error: block style, line 7 column 17.
      {app + "    health_check:\n      path: /\n      timeout: 1s\n      interval: fast\n",
       "vigil.yaml:7:17: apps[0].health_check.interval: "
       "expected a duration such as 500ms or 2s, got 'fast'"},
      {app + "    helth_check: {}\n",
       "vigil.yaml:4:5: apps[0].helth_check: unknown key (expected one of: name, command, "
       "instances, listen, env, working_dir, stop_timeout, drain_timeout, min_uptime, slow_start, "
       "restart, backoff, health_check, liveness_check, metrics_path, consecutive_5xx, "
       "access_log, tls)"},
      {app + "    health_check: {interval: 5ms}\n",
       "vigil.yaml:4:30: apps[0].health_check.interval: must be at least 10ms, got '5ms'"},
      {app + "    liveness_check: {timeout: 2m}\n",
       "vigil.yaml:4:31: apps[0].liveness_check.timeout: must be at most 1m, got '2m'"},
      {app + "    health_check: {healthy_threshold: 0}\n",
       "vigil.yaml:4:39: apps[0].health_check.healthy_threshold: "
       "expected an integer in [1, 100], got '0'"},
      {app + "    health_check: {unhealthy_threshold: 101}\n",
       "vigil.yaml:4:41: apps[0].health_check.unhealthy_threshold: "
       "expected an integer in [1, 100], got '101'"},
      {app + "    health_check: {jitter: 60%}\n",
       "vigil.yaml:4:28: apps[0].health_check.jitter: "
       "expected a fraction in [0, 0.5] such as 0.1 or 10%, got '60%'"},
      {app + "    health_check: {type: tcp, path: /}\n",
       "vigil.yaml:4:37: apps[0].health_check.path: only http checks have a path"},
      {app + "    health_check: {type: udp}\n",
       "vigil.yaml:4:26: apps[0].health_check.type: expected http or tcp, got 'udp'"},
      {app + "    health_check: {path: health}\n",
       "vigil.yaml:4:26: apps[0].health_check.path: expected a path starting with '/', "
       "got 'health'"},
      {app + "    health_check: [path, /]\n",
       "vigil.yaml:4:19: apps[0].health_check: expected a mapping, got a list"},
      {app + "    health_check:\n", "vigil.yaml:4:5: apps[0].health_check: missing value"},
      {app + web2 + "  - name: web\n    command: x\n",
       "vigil.yaml:6:11: apps[2].name: duplicate app name (also apps[0])"},
      {app + "    listen: 127.0.0.1:8080\n" + web2 + "    listen: 127.0.0.1:8080\n",
       "vigil.yaml:7:13: apps[1].listen: listen address 127.0.0.1:8080 conflicts with apps[0] "
       "('web')"},
      {app + "    listen: 127.0.0.1:8080\n" + web2 + "    listen: 0.0.0.0:8080\n",
       "vigil.yaml:7:13: apps[1].listen: listen address 0.0.0.0:8080 conflicts with apps[0] "
       "('web')"},
      {app + "    listen: 127.0.0.1:4510\n",
       "vigil.yaml:4:13: apps[0].listen: listen address 127.0.0.1:4510 conflicts with the "
       "server's own listen address"},
      // The server's listen address comes after the apps: checked once the file is read.
      {app + "    listen: 127.0.0.1:9000\nlisten: 0.0.0.0:9000\n",
       "vigil.yaml:4:13: apps[0].listen: listen address 127.0.0.1:9000 conflicts with the "
       "server's own listen address"},
      {app + "    listen: localhost\n",
       "vigil.yaml:4:13: apps[0].listen: listen address must be HOST:PORT, got 'localhost'"},
      {"apps:\n  - name: web\n    command: []\n",
       "vigil.yaml:3:14: apps[0].command: empty command"},
      {"apps:\n  - name: web\n    command: \"  \"\n",
       "vigil.yaml:3:14: apps[0].command: empty command"},
      {"apps:\n  - name: web\n    command: {run: x}\n",
       "vigil.yaml:3:14: apps[0].command: expected a list of arguments or a shell command, "
       "got a mapping"},
      {"apps:\n  - name: web\n    command: [\"\", x]\n",
       "vigil.yaml:3:15: apps[0].command[0]: empty program name"},
      {"apps:\n  - name: web\n    command: [x, [y]]\n",
       "vigil.yaml:3:18: apps[0].command[1]: expected a single value, got a list"},
      {"apps:\n  - name: web\n", "vigil.yaml:2:5: apps[0]: missing required key 'command'"},
      {"apps:\n  - command: x\n", "vigil.yaml:2:5: apps[0]: missing required key 'name'"},
      {"apps:\n  - name: -web\n    command: x\n",
       "vigil.yaml:2:11: apps[0].name: expected 1 to 64 letters, digits, '_' or '-', starting "
       "with a letter or digit, got '-web'"},
      {"apps:\n  - name: " + std::string(65, 'a') + "\n    command: x\n",
       "vigil.yaml:2:11: apps[0].name: expected 1 to 64 letters, digits, '_' or '-', starting "
       "with a letter or digit, got '" +
           std::string(65, 'a') + "'"},
      {app + "    name: again\n", "vigil.yaml:4:5: apps[0].name: key given twice"},
      {app + "    restart: sometimes\n",
       "vigil.yaml:4:14: apps[0].restart: expected always, on-failure or never, got 'sometimes'"},
      {app + "    instances: 0\n",
       "vigil.yaml:4:16: apps[0].instances: expected an integer in [1, 1000], got '0'"},
      {app + "    instances: 2.5\n",
       "vigil.yaml:4:16: apps[0].instances: expected an integer in [1, 1000], got '2.5'"},
      {app + "    consecutive_5xx: 1001\n",
       "vigil.yaml:4:22: apps[0].consecutive_5xx: expected an integer in [0, 1000], got '1001'"},
      {app + "    env: {1X: y}\n",
       "vigil.yaml:4:11: apps[0].env.1X: expected a name like [A-Za-z_][A-Za-z0-9_]*"},
      {app + "    env: {X: [y]}\n",
       "vigil.yaml:4:14: apps[0].env.X: expected a single value, got a list"},
      {app + "    env: [X=y]\n", "vigil.yaml:4:10: apps[0].env: expected a mapping, got a list"},
      {app + "    backoff: {initial: 2s, max: 1s}\n",
       "vigil.yaml:4:14: apps[0].backoff: initial (2s) must not exceed max (1s)"},
      {app + "    backoff: {initial: 0ms}\n",
       "vigil.yaml:4:24: apps[0].backoff.initial: must be at least 1ms, got '0ms'"},
      {app + "    backoff: {cap: 1s}\n",
       "vigil.yaml:4:15: apps[0].backoff.cap: unknown key (expected one of: initial, max)"},
      {app + "    stop_timeout: 10\n",
       "vigil.yaml:4:19: apps[0].stop_timeout: expected a duration such as 500ms or 2s, "
       "got '10'"},
      {app + "    metrics_path: metrics\n",
       "vigil.yaml:4:19: apps[0].metrics_path: expected a path starting with '/', "
       "got 'metrics'"},
      {"apps: {web: {command: x}}\n",
       "vigil.yaml:1:7: apps: expected a list of apps, got a mapping"},
      // YAML syntax errors have the same form.
      {"apps:\n  - name: [web\n",
       "vigil.yaml:3:1: YAML syntax error: end of sequence flow not found"},
      // The older sections point at their problems too.
      {"tsdb:\n  retention: 30d\n  retension: 5d\n",
       "vigil.yaml:3:3: tsdb.retension: unknown key (expected one of: retention, max_sample_age, "
       "rollup_sketch_accuracy, block_range, head_chunk_memory, rollups)"},
      {"tsdb:\n  rollups:\n    - {period: 1m, retention: forever}\n",
       "vigil.yaml:3:31: tsdb.rollups[0].retention: expected a duration such as 500ms or 2s, "
       "got 'forever'"},
      {"load_balancer:\n  threads: many\n",
       "vigil.yaml:2:12: load_balancer.threads: expected 'auto' or an integer in [1, 256], got "
       "'many'"},
      {"http:\n  io_threads: 0\n",
       "vigil.yaml:2:15: http.io_threads: expected an integer in [1, 256], got '0'"},
      {"listen: 4510\n", "vigil.yaml:1:9: listen: listen address must be HOST:PORT, got '4510'"},
      {"remote_write: true\n", "vigil.yaml:1:15: remote_write: expected a mapping, got 'true'"},
      {"bogus: 1\n",
       "vigil.yaml:1:1: bogus: unknown key (expected one of: listen, data_dir, region, tls, auth, "
       "encryption, "
       "tsdb, alarms, remote_write, http, load_balancer, apps, canaries)"},
      {"alarms:\n  action_attempts: 0\n",
       "vigil.yaml:2:20: alarms.action_attempts: expected an integer in [1, 20], got '0'"},
      {"[1, 2]\n", "vigil.yaml:1:1: expected a mapping, got a list"},
  };
  for (const auto& tc : kCases) {
    Config c;
    Status s = ApplyYaml(tc.yaml, "vigil.yaml", &c);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << tc.yaml;
    EXPECT_EQ(s.message(), tc.error) << tc.yaml;
  }
}

TEST(ConfigAppsTest, PortZeroAndWorkersNeverConflict) {
  Config c;
  Status s = ApplyYaml(R"(
listen: 127.0.0.1:0
apps:
  - {name: a, command: x, listen: "127.0.0.1:0"}
  - {name: b, command: x, listen: "127.0.0.1:0"}
  - {name: c, command: x}
  - {name: d, command: x}
  - {name: e, command: x, listen: "127.0.0.2:8080"}
  - {name: f, command: x, listen: "127.0.0.1:8080"}
)",
                       "vigil.yaml", &c);
  EXPECT_TRUE(s.ok()) << s.message();
}

TEST(ConfigAppsTest, FlagsNameTheFileAndRecheckTheListenAddress) {
  const std::string path = testing::TempDir() + "/config_apps_test.yaml";
  {
    std::ofstream out(path);
    out << "apps:\n  - name: web\n    command: [x]\n    listen: 127.0.0.1:8080\n"
           "    restart: maybe\n";
  }
  Config c;
  Status s = ParseServerFlags({"--config", path}, &c);
  EXPECT_EQ(s.message(), path +
                             ":5:14: apps[0].restart: expected always, on-failure or never, "
                             "got 'maybe'");
  {
    std::ofstream out(path);
    out << "apps:\n  - name: web\n    command: [x]\n    listen: 127.0.0.1:8080\n";
  }
  Config ok;
  ASSERT_TRUE(ParseServerFlags({"--config", path}, &ok).ok());
  ASSERT_EQ(ok.apps.size(), 1u);
  // --listen is applied after the file: the server may not take the app's address either.
  Config clash;
  s = ParseServerFlags({"--config", path, "--listen", "127.0.0.1:8080"}, &clash);
  EXPECT_EQ(s.message(),
            "apps[0].listen: listen address 127.0.0.1:8080 conflicts with the "
            "server's own listen address");
  std::remove(path.c_str());
}

TEST(ConfigAppsTest, ValidateApps) {
  Config c;
  c.apps.resize(2);
  c.apps[0].name = "a";
  c.apps[1].name = "a";
  EXPECT_EQ(ValidateApps(c).message(), "apps[1].name: duplicate app name (also apps[0])");
  c.apps[1].name = "b";
  EXPECT_TRUE(ValidateApps(c).ok());
  // A wildcard host takes the port on every address, the server's included.
  c.apps[1].listen_host = "::";
  c.apps[1].listen_port = c.listen_port;
  EXPECT_EQ(ValidateApps(c).message(),
            "apps[1].listen: listen address [::]:4510 conflicts with "
            "the server's own listen address");
  // A later document moving the server onto an app it does not list: no position to give.
  c.apps[1].listen_host = "127.0.0.1";
  c.apps[1].listen_port = 8080;
  EXPECT_EQ(ApplyYaml("listen: 127.0.0.1:8080\n", "more.yaml", &c).message(),
            "more.yaml: apps[1].listen: listen address 127.0.0.1:8080 conflicts with the server's "
            "own listen address");
}

TEST(ConfigTest, TlsForTheServerAndEachLoadBalancer) {
  Config c;
  Status st = ApplyYaml(
      "tls: {cert: /etc/vigil/cert.pem, key: /etc/vigil/key.pem}\n"
      "apps:\n  - name: web\n    command: [web]\n    listen: 127.0.0.1:8443\n"
      "    tls:\n      cert: web.crt\n      key: web.key\n",
      "vigil.yaml", &c);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(c.tls_cert_file, "/etc/vigil/cert.pem");
  EXPECT_EQ(c.tls_key_file, "/etc/vigil/key.pem");
  EXPECT_FALSE(c.tls_self_signed);
  ASSERT_EQ(c.apps.size(), 1u);
  EXPECT_EQ(c.apps[0].tls_cert_file, "web.crt");
  EXPECT_EQ(c.apps[0].tls_key_file, "web.key");

  Config self;
  ASSERT_TRUE(ApplyYaml("tls: {self_signed: true}\n", "vigil.yaml", &self).ok());
  EXPECT_TRUE(self.tls_self_signed);

  const struct {
    std::string yaml, error;
  } kCases[] = {
      {"tls: {cert: c.pem}\n", "vigil.yaml:1:6: tls: needs both cert and key (PEM files)"},
      {"tls: {self_signed: true, cert: c, key: k}\n",
       "vigil.yaml:1:6: tls: self_signed and cert/key exclude each other"},
      {"apps:\n  - name: w\n    command: [w]\n    tls: {cert: c, key: k}\n",
       "vigil.yaml:4:10: apps[0].tls: needs a load balancer ('listen')"},
      {"apps:\n  - name: w\n    command: [w]\n    listen: 127.0.0.1:1\n"
       "    tls: {self_signed: true}\n",
       "vigil.yaml:5:11: apps[0].tls.self_signed: unknown key (expected one of: cert, key)"},
  };
  for (const auto& k : kCases) {
    Config bad;
    EXPECT_EQ(ApplyYaml(k.yaml, "vigil.yaml", &bad).message(), k.error) << k.yaml;
  }

  Config flags;
  ASSERT_TRUE(ParseServerFlags({"--tls-cert", "c.pem", "--tls-key", "k.pem"}, &flags).ok());
  EXPECT_EQ(flags.tls_cert_file, "c.pem");
  EXPECT_EQ(flags.tls_key_file, "k.pem");
  ASSERT_TRUE(ParseServerFlags({"--tls-self-signed"}, &flags).ok());
  EXPECT_TRUE(flags.tls_self_signed);
  EXPECT_TRUE(flags.tls_cert_file.empty());
  Config half;
  Status alone = ParseServerFlags({"--tls-cert", "c.pem"}, &half);
  EXPECT_NE(alone.message().find("--tls-cert and --tls-key go together"), std::string::npos)
      << alone.ToString();
}

TEST(ConfigTest, FlagsOverrideConfig) {
  Config c;
  ASSERT_TRUE(ParseServerFlags({"--data-dir", "/d", "--listen", "127.0.0.1:9"}, &c).ok());
  EXPECT_EQ(c.data_dir, "/d");
  EXPECT_EQ(c.listen_port, 9);
  EXPECT_FALSE(ParseServerFlags({"--nope"}, &c).ok());
  EXPECT_FALSE(ParseServerFlags({"--config", "/nonexistent/vigil.yaml"}, &c).ok());
}

}  // namespace
}  // namespace vigil::server

namespace vigil::server {
namespace {

const char kShopApp[] =
    "apps:\n"
    "  - name: shop\n"
    "    command: [shop-server, --port, '${PORT}']\n"
    "    listen: 127.0.0.1:8080\n";

TEST(ConfigCanariesTest, IssueExampleParses) {
  Config c;
  Status s = ApplyYaml(std::string(kShopApp) + R"(
canaries:
  - name: shop-browse
    app: shop                 # or url: http://127.0.0.1:9000
    interval: 5s
    timeout: 2s
    steps:
      - { path: /products, status: 200, body_contains: "\"id\"", max_latency: 500ms }
      - { method: POST, path: /cart/demo/items, body: '{"product_id":1,"quantity":1}', status: 200 }
      # yaml-cpp reads a '?' in a flow mapping's plain scalar as a key indicator: quote it.
      - { path: "/recommendations?user=demo", json: { "$.items[0].product_id": "2" } }
  - name: direct
    url: http://127.0.0.1:9000
    interval: 0
    steps:
      - name: home
        headers: { Accept: text/html, X-Canary: "1" }
        path: /
)",
                       "vigil.yaml", &c);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(c.canaries.size(), 2u);
  const canary::CanarySpec& browse = c.canaries[0];
  EXPECT_EQ(browse.name, "shop-browse");
  EXPECT_EQ(browse.app, "shop");
  EXPECT_EQ(browse.interval_ms, 5000);
  EXPECT_EQ(browse.timeout_ms, 2000);
  ASSERT_EQ(browse.steps.size(), 3u);
  EXPECT_EQ(browse.steps[0].method, "GET");
  EXPECT_EQ(browse.steps[0].path, "/products");
  EXPECT_EQ(browse.steps[0].expect_status, 200);
  EXPECT_EQ(browse.steps[0].body_contains, "\"id\"");
  EXPECT_EQ(browse.steps[0].max_latency_ms, 500);
  EXPECT_EQ(browse.steps[1].method, "POST");
  EXPECT_EQ(browse.steps[1].body, R"({"product_id":1,"quantity":1})");
  EXPECT_EQ(browse.steps[2].path, "/recommendations?user=demo");
  EXPECT_EQ(browse.steps[2].json_equals,
            (std::vector<std::pair<std::string, std::string>>{{"$.items[0].product_id", "2"}}));
  const canary::CanarySpec& direct = c.canaries[1];
  EXPECT_EQ(direct.url, "http://127.0.0.1:9000");
  EXPECT_EQ(direct.interval_ms, 0) << "interval 0: on demand only";
  EXPECT_EQ(direct.timeout_ms, 5000);
  EXPECT_EQ(direct.steps[0].name, "home");
  EXPECT_EQ(direct.steps[0].headers, (std::vector<std::pair<std::string, std::string>>{
                                         {"Accept", "text/html"}, {"X-Canary", "1"}}));

  // Absent, the interval is a minute; a later document replaces the list whole.
  ASSERT_TRUE(
      ApplyYaml("canaries:\n  - {name: a, url: 'http://h:1', steps: [{path: /}]}\n", "b.yaml", &c)
          .ok());
  ASSERT_EQ(c.canaries.size(), 1u);
  EXPECT_EQ(c.canaries[0].interval_ms, 60'000);
}

// Each bad canary and the exact error it gets: file:line:column: key path: what is wrong.
TEST(ConfigCanariesTest, BadCanariesNamePositionPathAndProblem) {
  // Lines 1-4 the shop app; line 5 "canaries:"; line 6 the canary's name (value at column 11).
  const std::string head = std::string(kShopApp) + "canaries:\n  - name: browse\n";
  const std::string step = "    steps: [{path: /}]\n";
  const struct {
    std::string yaml;
    std::string error;
  } kCases[] = {
      {head + "    app: shop\n    intervall: 5s\n" + step,
       "vigil.yaml:8:5: canaries[0].intervall: unknown key (expected one of: name, app, url, "
       "ca_bundle, interval, timeout, steps)"},
      {head + "    url: https://h:1\n    ca_bundle: /nonexistent/ca.pem\n" + step,
       "vigil.yaml:8:16: canaries[0].ca_bundle: open /nonexistent/ca.pem: No such file or "
       "directory"},
      {head + "    app: shop\n    ca_bundle: /etc/hostname\n" + step,
       "vigil.yaml:8:16: canaries[0].ca_bundle: only for a canary with an https url (one aimed "
       "at an app trusts its listener's certificate)"},
      {head + "    app: shop\n    interval: 500ms\n" + step,
       "vigil.yaml:8:15: canaries[0].interval: expected a duration of at least 1s, or 0 (on "
       "demand only), got '500ms'"},
      {head + "    app: shop\n    timeout: 10m\n" + step,
       "vigil.yaml:8:14: canaries[0].timeout: must be at most 5m, got '10m'"},
      {head + "    app: nope\n" + step,
       "vigil.yaml:7:10: canaries[0].app: no app named 'nope' in apps"},
      {head + "    url: ftp://x\n" + step,
       "vigil.yaml:7:10: canaries[0].url: expected a base URL such as http://127.0.0.1:9000, got "
       "'ftp://x'"},
      {head + "    app: shop\n    url: http://h:1\n" + step,
       "vigil.yaml:6:5: canaries[0]: give exactly one of app and url"},
      {head + "    app: shop\n", "vigil.yaml:6:5: canaries[0]: needs at least one step"},
      {head + "    app: shop\n    steps: [{path: /, statuss: 200}]\n",
       "vigil.yaml:8:23: canaries[0].steps[0].statuss: unknown key (expected one of: name, method, "
       "path, headers, body, status, body_contains, json, max_latency)"},
      {head + "    app: shop\n    steps: [{path: /, status: 700}]\n",
       "vigil.yaml:8:31: canaries[0].steps[0].status: expected an integer in [100, 599], got "
       "'700'"},
      {head + "    app: shop\n    steps: [{method: get}]\n",
       "vigil.yaml:8:22: canaries[0].steps[0].method: expected an upper-case HTTP method such as "
       "GET or POST, got 'get'"},
      {head + "    app: shop\n    steps: [{path: products}]\n",
       "vigil.yaml:8:20: canaries[0].steps[0].path: expected a path starting with '/', got "
       "'products'"},
      {head + "    app: shop\n    steps: [{json: {\"$.a[\": \"1\"}}]\n",
       "vigil.yaml:8:29: canaries[0].steps[0].json.$.a[: bad path: missing ']' at offset 4"},
      {head + "    app: shop\n    steps: [{json: {\"$.name\": shop}}]\n",
       "vigil.yaml:8:31: canaries[0].steps[0].json.$.name: expected value must be JSON text such "
       "as 3, \"x\" or true (quote strings: '\"x\"'), got 'shop'"},
      {head + "    app: shop\n" + step + "  - name: browse\n    url: http://h:1\n" + step,
       "vigil.yaml:9:11: canaries[1].name: duplicate canary name (also canaries[0])"},
      {"apps:\n  - {name: worker, command: w}\ncanaries:\n  - {name: c, app: worker, steps: "
       "[{path: /}]}\n",
       "vigil.yaml:4:20: canaries[0].app: app 'worker' has no load balancer (no listen:); use "
       "url:"},
      {head + "    app: shop\n    steps: [{path: /}]\n    name: again\n",
       "vigil.yaml:9:5: canaries[0].name: key given twice"},
  };
  for (const auto& c : kCases) {
    Config config;
    Status s = ApplyYaml(c.yaml, "vigil.yaml", &config);
    EXPECT_EQ(s.message(), c.error) << c.yaml;
    EXPECT_TRUE(config.canaries.empty());
  }
  // Canaries may come before the apps they name.
  Config config;
  EXPECT_TRUE(
      ApplyYaml("canaries:\n  - {name: c, app: shop, steps: [{path: /}]}\n" + std::string(kShopApp),
                "vigil.yaml", &config)
          .ok());
}

}  // namespace
}  // namespace vigil::server
