// vigil: one binary, several subcommands.
#include <malloc.h>

#include <cstdio>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "server/config.h"
#include "server/server.h"

namespace {

constexpr const char* kUsage =
    "usage: vigil <command> [options]\n"
    "\n"
    "commands:\n"
    "  server [--config FILE] [--data-dir DIR] [--listen HOST:PORT] [--ui-dir WEB_DIR]\n"
    "         run the daemon (defaults: ./vigil-data, 127.0.0.1:4510); the dashboard is at /\n"
    "  metrics list|stats|query [options]\n"
    "         read metrics from a running server (`vigil metrics help`)\n"
    "  alarms list|ack|history [options]\n"
    "         alarms of a running server; acknowledge one (`vigil alarms help`)\n"
    "  logs tail APP [--follow] [--filter PATTERN]\n"
    "         an app's output from the log store (`vigil logs help`)\n"
    "  audit verify|events [options]\n"
    "         check the audit trail's hash chain; list control-plane calls (`vigil audit help`)\n"
    "  versions create|list, deploy APP LABEL, rollback APP, deployments APP|show ID\n"
    "         application versions and their deployments (`vigil deploy help`)\n"
    "  canaries list|run NAME [options]\n"
    "         synthetic checks: their last results; run one now (`vigil canaries help`)\n"
    "  iam create-user|create-access-key|attach-policy|put-user-policy|simulate|list-... \n"
    "         identities and their policies (`vigil iam help`)\n"
    "  keys list|rotate-master|rotate PURPOSE|webhook-secret\n"
    "         the keyring: data keys, rotations, the webhook secret (`vigil keys help`)\n"
    "  version  print the version\n"
    "  help     print this text\n";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  const std::string command = args[0];
  args.erase(args.begin());
  if (command == "version" || command == "--version") {
    std::puts("vigil 0.1.0");
    return 0;
  }
  if (command == "server") {
    // glibc gives each thread that allocates its own arena (up to 8 per core); with dozens of
    // HTTP worker threads that held about a third of peak RSS in bench/tsdb. Two arenas cost
    // ingest a quarter of its server CPU in arena-lock waits; in bench/tsdb three gave
    // remote-write 1.32x VictoriaMetrics' rate at 0.47x its peak RSS, four 1.47x at 0.54x.
    mallopt(M_ARENA_MAX, 3);
    // A query answer is a few hundred KB of short-lived buffers (decoded samples, datapoints,
    // the response body). With glibc's defaults the heap top is handed back (brk) after each
    // one and faulted in, zeroed, on the next: a third of a one-day query's time in bench/tsdb.
    // Keep up to 1 MiB free at the top of a heap (more would stay in RSS after a burst of
    // requests); buffers over 256 KiB are mapped and unmapped.
    mallopt(M_TRIM_THRESHOLD, 1 << 20);
    mallopt(M_MMAP_THRESHOLD, 256 << 10);
    vigil::server::Config config;
    vigil::Status s = vigil::server::ParseServerFlags(args, &config);
    if (!s.ok()) {
      std::fprintf(stderr, "vigil server: %s\n", s.message().c_str());
      return 2;
    }
    s = vigil::server::RunServer(config);
    if (!s.ok()) {
      std::fprintf(stderr, "vigil server: %s\n", s.ToString().c_str());
      return 1;
    }
    return 0;
  }
  if (command == "metrics") return vigil::cli::RunMetrics(args, stdout, stderr);
  if (command == "alarms") return vigil::cli::RunAlarms(args, stdout, stderr);
  if (command == "logs") return vigil::cli::RunLogs(args, stdout, stderr);
  if (command == "audit") return vigil::cli::RunAudit(args, stdout, stderr);
  if (command == "versions" || command == "deploy" || command == "rollback" ||
      command == "deployments") {
    return vigil::cli::RunDeployCommand(command, args, stdout, stderr);
  }
  if (command == "canaries") return vigil::cli::RunCanaries(args, stdout, stderr);
  if (command == "iam") return vigil::cli::RunIam(args, stdout, stderr);
  if (command == "keys") return vigil::cli::RunKeys(args, stdout, stderr);
  std::fprintf(stderr, "vigil: unknown command '%s'\n\n%s", command.c_str(), kUsage);
  return 2;
}
