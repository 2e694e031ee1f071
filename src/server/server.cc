#include "server/server.h"

#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>

#include "alarms/alarms.h"
#include "api/api.h"
#include "audit/audit.h"
#include "auth/attempt_limiter.h"
#include "auth/auth.h"
#include "auth/iam.h"
#include "auth/keyring.h"
#include "canary/canary.h"
#include "common/clock.h"
#include "common/logging.h"
#include "common/metrics.h"
#include "deploy/deploy.h"
#include "fleet/fleet.h"
#include "http/http.h"
#include "lb/lb.h"
#include "logs/logs.h"
#include "server/alarm_wiring.h"
#include "server/canary_wiring.h"
#include "server/deploy_wiring.h"
#include "server/log_shipper.h"
#include "server/metric_writer.h"
#include "server/tls_wiring.h"
#include "state/state.h"
#include "storage/file_util.h"
#include "tsdb/tsdb.h"
#include "ui/ui.h"

namespace vigil::server {
namespace {

std::string EnvOr(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

auth::AttemptLimiterOptions LimiterOptions(const Config::AttemptLimits& limits,
                                           const Clock* clock) {
  return auth::AttemptLimiterOptions{.free_failures = limits.free,
                                     .base_delay_ms = limits.first_delay_ms,
                                     .max_delay_ms = limits.max_delay_ms,
                                     .clock = clock};
}

}  // namespace

Status RunServer(const Config& config) {
  // Block the stop signals (and SIGHUP, which reloads the TLS certificates) in every thread we
  // create; the main thread waits for them below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  Logger logger(stderr);
  SystemClock clock;
  Registry metrics;

  RETURN_IF_ERROR(storage::CreateDirs(config.data_dir));
  ASSIGN_OR_RETURN(const http::TlsFiles api_tls, ServerTlsFiles(config, stdout));
  ASSIGN_OR_RETURN(auth::AccessKey root,
                   auth::LoadOrCreateRootKey(config.data_dir, EnvOr("VIGIL_ROOT_ACCESS_KEY_ID"),
                                             EnvOr("VIGIL_ROOT_SECRET_ACCESS_KEY")));
  auth::KeyStore keys;
  keys.Put(root);
  auth::SigV4Verifier verifier(
      &keys, &clock,
      auth::VerifierOptions{.max_skew_ms = config.max_clock_skew_ms, .region = config.region});
  // The keyring: its master key (VIGIL_MASTER_KEY, or keys/master.key) never leaves this
  // process; it seals the identities' secrets.
  ASSIGN_OR_RETURN(std::unique_ptr<auth::Keyring> keyring,
                   auth::Keyring::Open(auth::KeyringOptions{config.data_dir + "/keys",
                                                            EnvOr("VIGIL_MASTER_KEY"), &clock}));

  tsdb::Options db_options;
  db_options.dir = config.data_dir + "/tsdb";
  db_options.retention_ms = config.retention_ms;
  db_options.max_sample_age_ms = config.max_sample_age_ms;
  db_options.rollups = config.rollups;
  db_options.rollup_sketch_accuracy = config.rollup_sketch_accuracy;
  db_options.block_range_ms = config.block_range_ms;
  db_options.head_chunk_bytes = static_cast<size_t>(config.head_chunk_bytes);
  db_options.clock = &clock;
  db_options.logger = &logger;
  db_options.metrics = &metrics;
  // The stores always get their cipher, so files encrypted before the switch was turned off
  // stay readable; `encryption:` decides what new files are.
  const std::unique_ptr<storage::Cipher> tsdb_cipher = keyring->CipherFor("tsdb");
  db_options.cipher = tsdb_cipher.get();
  db_options.encrypt = config.encryption.metrics;
  ASSIGN_OR_RETURN(std::unique_ptr<tsdb::Db> db, tsdb::Db::Open(db_options));

  MetricWriter metric_writer(db.get(), &logger, &metrics);

  // The control plane's records (alarms, log groups) and the log store, before the instances
  // whose output it keeps.
  StatusOr<std::unique_ptr<state::Store>> store =
      state::OpenSqliteStore(config.data_dir + "/state.db");
  if (!store.ok()) {
    metric_writer.Stop();
    (void)db->Close();
    return store.status();
  }
  // Identities (users, groups, policies; their keys join the root key in `keys`), and the
  // dashboard's sessions, which every API takes beside SigV4.
  StatusOr<std::unique_ptr<auth::Iam>> iam =
      auth::Iam::Open(store->get(), keyring.get(), &keys, &clock);
  auth::Sessions sessions(&keys, &clock,
                          auth::SessionOptions{.lifetime_ms = config.session_lifetime_ms,
                                               .idle_ms = config.session_idle_ms,
                                               .store = store->get()});
  // Failed sign-ins (passwords, codes, key pairs) slow down per source address and per name
  // (`auth.sign_in_attempts`).
  auth::AttemptLimiter sign_in_limiter(LimiterOptions(config.sign_in_attempts, &clock));
  Status identities = iam.ok() ? sessions.Load() : iam.status();
  if (!identities.ok()) {
    metric_writer.Stop();
    (void)db->Close();
    return identities;
  }
  // A changed or deleted password, key or user ends the sessions standing on it.
  (*iam)->SetRevokeHook([&sessions](const std::string& user, const std::string& key_id) {
    sessions.RevokeFor(user, key_id);
  });
  // Whoever keeps sending wrong signatures or unknown keys from one address waits.
  auth::AttemptLimiter failed_signatures(LimiterOptions(config.failed_attempts, &clock));
  auth::ServerAccessControl access(&verifier, &sessions, iam->get(), &clock, &failed_signatures);
  logs::Options log_options;
  log_options.dir = config.data_dir + "/logs";
  log_options.state = store->get();
  log_options.clock = &clock;
  log_options.logger = &logger;
  const std::unique_ptr<storage::Cipher> logs_cipher = keyring->CipherFor("logs");
  log_options.cipher = logs_cipher.get();
  log_options.encrypt = config.encryption.logs;
  log_options.on_sample = [&metric_writer](const logs::FilterSample& s) {
    Datum d;
    d.metric = s.metric_name;
    d.dimensions.assign(s.dimensions.begin(), s.dimensions.end());
    if (!s.unit.empty()) d.unit = s.unit;
    d.timestamp_ms = s.timestamp_ms;
    d.value = s.value;
    metric_writer.Put(s.metric_namespace, {std::move(d)});
  };
  StatusOr<std::unique_ptr<logs::Store>> log_store = logs::Store::Open(std::move(log_options));
  if (!log_store.ok()) {
    metric_writer.Stop();
    (void)db->Close();
    return log_store.status();
  }
  LogShipper log_shipper(log_store->get(), &clock, &logger, &metrics);
  StatusOr<std::unique_ptr<audit::Trail>> trail =
      audit::Trail::Open(config.data_dir + "/audit", &clock, &logger);
  if (!trail.ok()) {
    log_shipper.Stop();
    (void)(*log_store)->Close();
    metric_writer.Stop();
    (void)db->Close();
    return trail.status();
  }

  // The apps: the fleet starts their instances, then the load balancer binds each app's
  // listener and finds its targets through the app's target group. Either failing stops
  // everything started so far: the server never runs half-configured.
  std::unique_ptr<fleet::Fleet> fleet;
  std::unique_ptr<lb::LoadBalancer> balancer;
  // Versions and deployments: the fleet starts each app at the version that last succeeded.
  DeployWatch deploy_watch;
  deploy::Options deploy_options;
  deploy_options.data_dir = config.data_dir;
  deploy_options.apps = config.apps;
  deploy_options.store = store->get();
  deploy_options.parse_manifest = ParseManifest;
  deploy_options.watch = &deploy_watch;
  deploy_options.clock = &clock;
  deploy_options.logger = &logger;
  // Manifests carry the apps' environment variables: always sealed.
  const std::unique_ptr<storage::Cipher> deploy_cipher = keyring->CipherFor("deploy");
  deploy_options.cipher = deploy_cipher.get();
  StatusOr<std::unique_ptr<deploy::Engine>> deployer = deploy::Engine::Open(deploy_options);
  StatusOr<std::vector<fleet::AppSpec>> app_specs =
      deployer.ok() ? (*deployer)->CurrentSpecs() : deployer.status();
  if (!app_specs.ok()) {
    log_shipper.Stop();
    (void)(*log_store)->Close();
    metric_writer.Stop();
    (void)db->Close();
    return app_specs.status();
  }
  std::map<std::string, canary::AppEndpoint> lb_urls;  // app -> its load balancer, as bound
  std::unique_ptr<canary::Canaries> canaries;
  // Undoes the start so far when a later part cannot start.
  auto stop_started = [&] {
    if (canaries) canaries->Stop();
    (*deployer)->Stop();
    if (balancer) balancer->Stop();
    if (fleet) fleet->Stop();
    log_shipper.Stop();
    (void)(*log_store)->Close();
    metric_writer.Stop();
    (void)db->Close();
  };
  if (!config.apps.empty()) {
    fleet::FleetOptions fleet_options;
    fleet_options.data_dir = config.data_dir;
    fleet_options.apps = *app_specs;
    fleet_options.clock = &clock;
    fleet_options.logger = &logger;
    fleet_options.metrics = &metric_writer;
    fleet_options.on_output = [&log_shipper](const std::string& app, const std::string& instance,
                                             std::string_view bytes) {
      log_shipper.Add(app, instance, bytes);
    };
    StatusOr<std::unique_ptr<fleet::Fleet>> started = fleet::Fleet::Start(fleet_options);
    if (!started.ok()) {
      stop_started();
      return started.status();
    }
    fleet = std::move(*started);
    lb::Options lb_options;
    lb_options.threads = config.load_balancer.threads;
    lb_options.connect_timeout_ms = config.load_balancer.connect_timeout_ms;
    lb_options.stall_timeout_ms = config.load_balancer.stall_timeout_ms;
    lb_options.response_timeout_ms = config.load_balancer.response_timeout_ms;
    lb_options.idle_timeout_ms = config.load_balancer.idle_timeout_ms;
    lb_options.max_attempts = config.load_balancer.max_attempts;
    lb_options.retry_buffer_bytes = static_cast<size_t>(config.load_balancer.retry_buffer_bytes);
    lb_options.clock = &clock;
    lb_options.logger = &logger;
    lb_options.metrics = &metric_writer;
    for (const fleet::AppSpec& app : config.apps) {
      if (app.listen_host.empty()) continue;
      const std::string dir = config.data_dir + "/lb/" + app.name;
      if (Status made = storage::CreateDirs(dir); !made.ok()) {
        stop_started();
        return made;
      }
      lb::Listener listener;
      listener.targets = fleet->Targets(app.name);
      listener.host = app.listen_host;
      listener.port = app.listen_port;
      if (app.access_log) listener.access_log_path = dir + "/access.log";
      listener.tls = http::TlsFiles{app.tls_cert_file, app.tls_key_file};
      lb_options.listeners.push_back(std::move(listener));
    }
    if (!lb_options.listeners.empty()) {
      StatusOr<std::unique_ptr<lb::LoadBalancer>> lb_started = lb::LoadBalancer::Start(lb_options);
      if (!lb_started.ok()) {
        stop_started();
        return lb_started.status();
      }
      balancer = std::move(*lb_started);
      for (size_t i = 0; i < lb_options.listeners.size(); ++i) {
        const lb::Listener& l = lb_options.listeners[i];
        std::printf("app %s load balancer on %s://%s:%u\n", l.targets->spec().name.c_str(),
                    l.tls.enabled() ? "https" : "http", l.host.c_str(), balancer->port(i));
        lb_urls[l.targets->spec().name] = {LocalBaseUrl(l.host, balancer->port(i), l.tls.enabled()),
                                           l.tls.cert_file};
      }
    }
  }
  // Synthetic checks, after the load balancers they look through.
  StatusOr<std::unique_ptr<canary::Canaries>> canaries_started =
      StartCanaries(config.canaries, lb_urls, &clock, &logger, &metric_writer);
  if (!canaries_started.ok()) {
    stop_started();
    return canaries_started.status();
  }
  canaries = std::move(*canaries_started);
  deploy_watch.canary_exists = [c = canaries.get()](const std::string& name) {
    return c->Get(name).status();
  };
  // A deployment runs a canary against each new instance directly.
  deploy_watch.run_canary = [c = canaries.get()](const std::string& name,
                                                 const std::string& base_url) -> Status {
    ASSIGN_OR_RETURN(canary::RunResult run, c->Run(name, "deploy", base_url));
    if (run.ok) return OkStatus();
    return UnavailableError(run.failure);
  };

  // Alarms: definitions, states and history in the state store; datapoints from the metrics
  // store; actions to webhooks and the fleet.
  StatusOr<std::string> webhook_secret =
      auth::LoadOrCreateSealedSecret(*keyring, config.data_dir + "/keys", "webhook-secret");
  if (!webhook_secret.ok()) {
    stop_started();
    return webhook_secret.status();
  }
  StoreMetricReader alarm_reader(db.get());
  EngineRollbacks rollbacks(deployer->get());
  WebhookOptions webhook;
  webhook.secret = *webhook_secret;
  webhook.fetch.timeout = std::chrono::milliseconds(config.alarms.webhook_timeout_ms);
  webhook.fetch.ca_file = config.alarms.webhook_ca_file;
  webhook.region = config.region;
  ActionDispatcher alarm_actions(fleet.get(), &rollbacks, webhook, &logger);
  alarms::Options alarm_options;
  alarm_options.store = store->get();
  alarm_options.reader = &alarm_reader;
  alarm_options.actions = &alarm_actions;
  alarm_options.clock = &clock;
  alarm_options.logger = &logger;
  alarm_options.metrics = &metrics;
  alarm_options.alarm_id = [region = config.region](const std::string& name) {
    return api::CloudWatchAlarmArn(region, "000000000000", name);
  };
  alarm_options.action_attempts = config.alarms.action_attempts;
  StatusOr<std::unique_ptr<alarms::Engine>> alarm_engine = alarms::Engine::Open(alarm_options);
  if (!alarm_engine.ok()) {
    stop_started();
    return alarm_engine.status();
  }
  deploy_watch.SetAlarms(alarm_engine->get(), config.apps);
  Status deploying = EnsureDefaultAlarms(alarm_engine->get(), config.apps);
  if (deploying.ok() && fleet) deploying = (*deployer)->Start(fleet.get());
  if (!deploying.ok()) {
    (*alarm_engine)->Stop();
    stop_started();
    return deploying;
  }

  api::CloudWatchService cloudwatch(db.get(), &access, &clock, &logger, &metrics,
                                    api::CloudWatchOptions{.region = config.region},
                                    alarm_engine->get(), trail->get());
  api::RemoteWriteService remote_write(
      db.get(), &access, &logger, &metrics,
      api::RemoteWriteOptions{.default_namespace = config.remote_write_namespace,
                              .allow_unsigned = config.remote_write_allow_unsigned},
      trail->get());

  http::Router router;
  api::LogsService logs_service(log_store->get(), &access, &logger,
                                api::LogsOptions{.region = config.region}, trail->get());
  api::CloudTrailService trail_service(trail->get(), &access, config.region);
  // One endpoint for every AWS service, as awscli is pointed at one --endpoint-url: CloudWatch
  // Logs and CloudTrail requests name their operation in X-Amz-Target.
  router.Handle("POST", "/", [&](const http::Request& r) {
    if (api::LogsService::Handles(r)) return logs_service.Handle(r);
    if (api::CloudTrailService::Handles(r)) return trail_service.Handle(r);
    return cloudwatch.Handle(r);
  });
  router.Handle("POST", "/api/v1/write",
                [&](const http::Request& r) { return remote_write.Handle(r); });
  api::FleetService fleet_service(fleet.get(), deployer->get(), &access, &clock, trail->get(),
                                  &logger);
  api::DeployService deploy_service(deployer->get(), &access, trail->get(), &logger);
  router.Handle("GET", "/v1/apps", [&](const http::Request& r) { return fleet_service.Handle(r); });
  // /v1/apps/{app}/versions|deployments|rollback are the deployment engine's; the rest the fleet's.
  router.Handle("GET", "/v1/apps/*", [&](const http::Request& r) {
    if (api::DeployService::Handles(r)) return deploy_service.Handle(r);
    return fleet_service.Handle(r);
  });
  router.Handle("POST", "/v1/apps/*",
                [&](const http::Request& r) { return deploy_service.Handle(r); });
  router.Handle("GET", "/v1/deployments/*",
                [&](const http::Request& r) { return deploy_service.Handle(r); });
  api::AlarmService alarm_service(alarm_engine->get(), &access, trail->get(), &logger);
  router.Handle("GET", "/v1/alarms",
                [&](const http::Request& r) { return alarm_service.Handle(r); });
  router.Handle("POST", "/v1/alarms/*",
                [&](const http::Request& r) { return alarm_service.Handle(r); });
  api::CanaryService canary_service(canaries.get(), &access, trail->get(), &logger);
  for (const char* method : {"GET", "POST"}) {
    router.Handle(method, "/v1/canaries/*",
                  [&](const http::Request& r) { return canary_service.Handle(r); });
  }
  router.Handle("GET", "/v1/canaries",
                [&](const http::Request& r) { return canary_service.Handle(r); });
  api::IamService iam_service(iam->get(), &access, trail->get(), &logger, &sessions,
                              &sign_in_limiter);
  for (const char* method : {"GET", "POST", "PUT", "DELETE"}) {
    router.Handle(method, "/v1/iam/*",
                  [&](const http::Request& r) { return iam_service.Handle(r); });
  }
  api::KeysService keys_service(keyring.get(), *webhook_secret, &access, trail->get(), &logger);
  for (const char* method : {"GET", "POST"}) {
    router.Handle(method, "/v1/keys", [&](const http::Request& r) { return keys_service.Handle(r); });
    router.Handle(method, "/v1/keys/*",
                  [&](const http::Request& r) { return keys_service.Handle(r); });
  }
  // The dashboard: its sign-in, and its pages.
  api::SessionService session_service(&sessions, &clock, trail->get(), &logger,
                                      /*secure_cookie=*/false, iam->get(), &sign_in_limiter);
  for (const char* method : {"GET", "POST", "DELETE"}) {
    router.Handle(method, "/v1/session",
                  [&](const http::Request& r) { return session_service.Handle(r); });
  }
  std::unique_ptr<ui::Dashboard> dashboard;
  if (config.ui_dir.empty()) {
    dashboard = ui::Dashboard::Embedded();
  } else {
    StatusOr<std::unique_ptr<ui::Dashboard>> from_dir = ui::Dashboard::FromDirectory(config.ui_dir);
    if (!from_dir.ok()) {
      (*alarm_engine)->Stop();
      stop_started();
      return from_dir.status();
    }
    dashboard = std::move(*from_dir);
  }
  for (const char* path : {"/", "/ui/*"}) {
    router.Handle("GET", path, [&](const http::Request& r) { return dashboard->Handle(r); });
  }
  router.Handle("GET", "/metrics", [&](const http::Request&) {
    return http::Response::Text(200, api::RenderPrometheusText(metrics),
                                "text/plain; version=0.0.4; charset=utf-8");
  });
  router.Handle("GET", "/healthz",
                [](const http::Request&) { return http::Response::Text(200, "ok\n"); });

  http::ServerOptions http_options;
  http_options.host = config.listen_host;
  http_options.port = config.listen_port;
  http_options.io_threads = config.io_threads;
  http_options.worker_threads = config.worker_threads;
  http_options.max_body_bytes = 256 << 20;  // version bundles
  http_options.logger = &logger;
  http_options.metrics = &metrics;
  http_options.tls = api_tls;
  http::Server server(http_options, &router);
  if (Status started = server.Start(); !started.ok()) {
    (*alarm_engine)->Stop();
    stop_started();
    return started;
  }

  const char* scheme = api_tls.enabled() ? "https" : "http";
  std::printf("vigil listening on %s://%s:%u\n", scheme, config.listen_host.c_str(), server.port());
  std::printf("dashboard: %s://%s:%u/ (sign in with the access key below)\n", scheme,
              config.listen_host.c_str(), server.port());
  std::printf("credentials: %s/credentials (access key %s)\n", config.data_dir.c_str(),
              root.access_key_id.c_str());
  std::printf("webhook signing secret: `vigil keys webhook-secret` (sealed in %s/keys)\n",
              config.data_dir.c_str());
  std::fflush(stdout);
  logger.Info("server", "ready");

  int sig = 0;
  while (sigwait(&stop_signals, &sig) == 0 && sig == SIGHUP) {
    logger.Info("server", "received SIGHUP, reloading the TLS certificates");
    ReloadTls(server, balancer.get(), logger).IgnoreError();  // logged; serving goes on
  }
  logger.Info("server",
              std::string("received ") + (sig == SIGTERM ? "SIGTERM" : "SIGINT") + ", draining");
  server.Stop();
  (*alarm_engine)->Stop();  // no new actions; queued retries stay in the state store
  canaries->Stop();
  (*deployer)->Stop();  // deployments in progress resume at the next start
  // Traffic first (requests in flight finish), then the instances behind it.
  if (balancer) balancer->Stop();
  if (fleet) fleet->Stop();
  log_shipper.Stop();  // the instances' last words
  if (Status logs_closed = (*log_store)->Close(); !logs_closed.ok()) {
    logger.Error("server", "closing the log store: " + logs_closed.ToString());
  }
  metric_writer.Stop();
  Status closed = db->Close();
  if (!closed.ok()) {
    logger.Error("server", "closing the metrics store: " + closed.ToString());
    return closed;
  }
  logger.Info("server", "stopped");
  return OkStatus();
}

}  // namespace vigil::server
