// vigil-shop-load: a light load generator for vigil-shop (README.md). N keep-alive connections,
// each on its own thread, send a mix of browse / product / add-to-cart / checkout /
// recommendations requests at a share of the target rate; a line every second, a summary at the
// end (--json: one JSON object on stdout, the per-second lines on stderr). Every request counts
// once; a request with no 2xx answer is a failure, and is never retried.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common/units.h"
#include "examples/shop/load_connection.h"
#include "examples/shop/load_stats.h"
#include "http/client.h"

namespace vigil::shop {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kProducts = 12;      // the seeded catalogue's ids are 1..12
constexpr int kShowFailures = 10;  // failures described on stderr; later ones only counted

struct LoadOptions {
  std::string url = "http://127.0.0.1:8080";
  int connections = 4;
  double rate = 50;         // requests per second over all connections; 0: as fast as possible
  int64_t duration_ms = 0;  // 0: until SIGINT or SIGTERM
  int64_t timeout_ms = 5000;
  int users = 5;  // per connection
  bool json = false;
};

constexpr char kUsage[] =
    "usage: vigil-shop-load [--url URL] [--connections N] [--rate R] [--duration D]\n"
    "                       [--timeout D] [--users N] [--json]\n"
    "  --url URL        the shop, default http://127.0.0.1:8080 (also the first plain argument)\n"
    "  --connections N  keep-alive connections, each on a thread (default 4)\n"
    "  --rate R         requests per second over all connections (default 50; 0: unpaced)\n"
    "  --duration D     stop after D (30s, 2m, 500ms); default: at SIGINT or SIGTERM\n"
    "  --timeout D      a request with no answer within D fails (default 5s)\n"
    "  --users N        distinct customers per connection (default 5)\n"
    "  --json           final summary as JSON on stdout; per-second lines on stderr\n";

StatusOr<LoadOptions> ParseLoadOptions(const std::vector<std::string>& args) {
  LoadOptions o;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") return NotFoundError("help");
    if (arg == "--json") {
      o.json = true;
      continue;
    }
    if (!arg.starts_with("--")) {
      o.url = arg;
      continue;
    }
    if (i + 1 == args.size()) return InvalidArgumentError(arg + " needs a value");
    const std::string& value = args[++i];
    if (arg == "--url") {
      o.url = value;
    } else if (arg == "--connections") {
      ASSIGN_OR_RETURN(o.connections, ParseInt(value, 1, 1000, arg));
    } else if (arg == "--rate") {
      ASSIGN_OR_RETURN(int64_t rate, ParseInt(value, 0, 1'000'000, arg));
      o.rate = static_cast<double>(rate);
    } else if (arg == "--duration") {
      ASSIGN_OR_RETURN(o.duration_ms, ParseDurationMillis(value));
    } else if (arg == "--timeout") {
      ASSIGN_OR_RETURN(o.timeout_ms, ParseDurationMillis(value));
    } else if (arg == "--users") {
      ASSIGN_OR_RETURN(o.users, ParseInt(value, 1, 10'000, arg));
    } else {
      return InvalidArgumentError("unknown flag " + arg);
    }
  }
  return o;
}

// Set once to end the run; connection threads wait on `cv` between paced requests.
struct StopSignal {
  std::mutex mu;
  std::condition_variable cv;
  bool stop = false;  // guarded by mu

  // Waits until `deadline`; false when the run is over.
  bool SleepUntil(Clock::time_point deadline) {
    std::unique_lock lock(mu);
    return !cv.wait_until(lock, deadline, [this] { return stop; });
  }
  void Set() {
    {
      std::lock_guard lock(mu);
      stop = true;
    }
    cv.notify_all();
  }
};

// One connection's customers and the requests it sends for them.
class Shopper {
 public:
  Shopper(int index, const LoadOptions& options, const http::Url& url, LoadStats* stats,
          std::atomic<int>* failures_shown)
      : connection_(url, std::chrono::milliseconds(options.timeout_ms)),
        stats_(stats),
        failures_shown_(failures_shown),
        rng_(static_cast<unsigned>(getpid()) * 1000 + index) {
    for (int u = 0; u < options.users; ++u) {
      users_.push_back("load" + std::to_string(getpid()) + "-c" + std::to_string(index) + "-u" +
                       std::to_string(u));
    }
    cart_filled_.assign(users_.size(), false);
  }

  // Sends one request of the mix. A checkout goes only to a customer whose last request was a
  // successful add-to-cart (an empty cart's checkout is a 400, not the server's fault).
  void Step() {
    const int pick = Uniform(0, 99);
    const size_t user = static_cast<size_t>(Uniform(0, static_cast<int>(users_.size()) - 1));
    if (pick < 35) {
      Send("GET", "/products", "");
    } else if (pick < 60) {
      Send("GET", "/products/" + std::to_string(Uniform(1, kProducts)), "");
    } else if (pick < 80) {
      AddToCart(user);
    } else if (pick < 90) {
      const auto filled = std::find(cart_filled_.begin(), cart_filled_.end(), true);
      if (filled == cart_filled_.end()) {
        AddToCart(user);
      } else {
        const size_t ready = static_cast<size_t>(filled - cart_filled_.begin());
        Send("POST", "/cart/" + users_[ready] + "/checkout", "");
        cart_filled_[ready] = false;  // emptied, or in an unknown state after a failure
      }
    } else {
      Send("GET", "/recommendations?user=" + users_[user] + "&limit=5", "");
    }
  }

 private:
  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

  void AddToCart(size_t user) {
    const std::string body = "{\"product_id\":" + std::to_string(Uniform(1, kProducts)) +
                             ",\"quantity\":" + std::to_string(Uniform(1, 3)) + "}";
    cart_filled_[user] = Send("POST", "/cart/" + users_[user] + "/items", body);
  }

  // True on a 2xx answer. Records the outcome either way.
  bool Send(const std::string& method, const std::string& target, const std::string& body) {
    const auto start = Clock::now();
    StatusOr<Reply> reply = connection_.RoundTrip(method, target, body);
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    const bool ok = reply.ok() && reply->status >= 200 && reply->status <= 299;
    stats_->Record(reply.ok(), reply.ok() ? reply->status : 0, ms,
                   reply.ok() ? reply->version : "");
    if (!ok && failures_shown_->fetch_add(1) < kShowFailures) {
      const std::string why =
          reply.ok() ? "HTTP " + std::to_string(reply->status) : reply.status().ToString();
      std::fprintf(stderr, "failed: %s %s: %s\n", method.c_str(), target.c_str(), why.c_str());
    }
    return ok;
  }

  LoadConnection connection_;
  LoadStats* stats_;
  std::atomic<int>* failures_shown_;
  std::mt19937 rng_;
  std::vector<std::string> users_;
  std::vector<bool> cart_filled_;  // by user index
};

int Run(const LoadOptions& options) {
  StatusOr<http::Url> url = http::ParseUrl(options.url);
  if (!url.ok() || url->tls) {
    std::fprintf(stderr, "vigil-shop-load: need an http:// URL, got %s\n", options.url.c_str());
    return 2;
  }
  // Blocked in every thread (they inherit the mask): the main thread takes them in sigtimedwait.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  LoadStats stats;
  StopSignal stop;
  std::atomic<int> failures_shown{0};
  const auto start = Clock::now();
  // Each connection sends every `interval`, offset so that together they spread evenly.
  const auto interval = options.rate > 0
                            ? std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(options.connections / options.rate))
                            : Clock::duration::zero();
  std::vector<std::thread> threads;
  for (int i = 0; i < options.connections; ++i) {
    threads.emplace_back([&, i] {
      Shopper shopper(i, options, *url, &stats, &failures_shown);
      auto next = start + interval * i / options.connections;
      while (stop.SleepUntil(next)) {
        shopper.Step();
        next = std::max(next + interval, Clock::now() - interval);  // no burst after a stall
      }
    });
  }

  FILE* progress = options.json ? stderr : stdout;
  const auto end = options.duration_ms > 0 ? start + std::chrono::milliseconds(options.duration_ms)
                                           : Clock::time_point::max();
  auto tick = start + std::chrono::seconds(1);
  for (int second = 1;; ++second) {
    const auto wake = std::min(tick, end);
    const auto wait = std::chrono::duration_cast<std::chrono::nanoseconds>(wake - Clock::now());
    timespec ts{static_cast<time_t>(std::max<int64_t>(wait.count(), 0) / 1'000'000'000),
                static_cast<long>(std::max<int64_t>(wait.count(), 0) % 1'000'000'000)};
    const bool signalled = sigtimedwait(&signals, nullptr, &ts) > 0;
    if (signalled || Clock::now() >= end) break;
    std::fprintf(progress, "%3ds %s\n", second, stats.TakeSecond().Line().c_str());
    std::fflush(progress);
    tick += std::chrono::seconds(1);
  }
  stop.Set();
  for (std::thread& t : threads) t.join();

  const LoadSummary total = stats.Total();
  if (options.json) {
    std::printf("%s\n", total.Json().c_str());
  } else {
    std::printf("total %s\n", total.Line().c_str());
  }
  return 0;
}

}  // namespace
}  // namespace vigil::shop

int main(int argc, char** argv) {
  vigil::StatusOr<vigil::shop::LoadOptions> options =
      vigil::shop::ParseLoadOptions(std::vector<std::string>(argv + 1, argv + argc));
  if (!options.ok()) {
    const bool help = options.status().code() == vigil::StatusCode::kNotFound;
    if (!help) std::fprintf(stderr, "vigil-shop-load: %s\n", options.status().message().c_str());
    std::fputs(vigil::shop::kUsage, help ? stdout : stderr);
    return help ? 0 : 2;
  }
  return vigil::shop::Run(*options);
}
