// procfs: the parsers on fixed texts (odd command names, malformed files), then live samples of
// this test's own group, of a child burning CPU in a group of its own, and of the host.
#include "fleet/procfs.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>

namespace vigil::fleet {
namespace {

using namespace std::chrono_literals;

// Fields 3.. of a /proc/PID/stat line: state R, pgrp 4200, utime 37, stime 11, 3 threads,
// starttime 98765, rss 512 pages.
constexpr std::string_view kStatTail =
    " R 1 4200 4200 0 -1 4194560 120 0 0 0 37 11 0 0 20 0 3 0 98765 10485760 512 "
    "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n";

std::string StatLine(std::string_view comm_in_parens) {
  return "4242 " + std::string(comm_in_parens) + std::string(kStatTail);
}

TEST(ParseProcStatTest, ReadsTheFieldsAfterTheCommandName) {
  for (std::string_view comm : {"(sleep)", "((a) (b))", "(a b)", "(x) R 1 2 3)", "()", "(:))"}) {
    SCOPED_TRACE(comm);
    auto stat = ParseProcStat(StatLine(comm), "/proc/4242/stat");
    ASSERT_TRUE(stat.ok()) << stat.status().ToString();
    EXPECT_EQ(stat->pid, 4242);
    EXPECT_EQ(stat->state, 'R');
    EXPECT_EQ(stat->pgrp, 4200);
    EXPECT_EQ(stat->utime_ticks, 37u);
    EXPECT_EQ(stat->stime_ticks, 11u);
    EXPECT_EQ(stat->num_threads, 3);
    EXPECT_EQ(stat->start_ticks, 98765u);
    EXPECT_EQ(stat->rss_pages, 512);
  }
}

TEST(ParseProcStatTest, AcceptsAStatEndingAtRss) {
  // Exactly 24 fields: the parser needs nothing after rss.
  auto stat =
      ParseProcStat("7 (init) S 0 7 7 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 5 100 9", "/proc/7/stat");
  ASSERT_TRUE(stat.ok()) << stat.status().ToString();
  EXPECT_EQ(stat->rss_pages, 9);
  EXPECT_EQ(stat->start_ticks, 5u);
}

TEST(ParseProcStatTest, RejectsMalformedTextNamingTheFile) {
  const struct {
    std::string text;
    std::string_view what;
  } kCases[] = {
      {"", "no command name"},
      {"4242 sleep R 1 2 3", "no command name"},
      {"4242 )sleep( R 1", "no command name"},
      {"(sleep)" + std::string(kStatTail), "bad pid"},
      {"-1 (sleep)" + std::string(kStatTail), "bad pid"},
      {"x1 (sleep)" + std::string(kStatTail), "bad pid"},
      {"4242 (sleep) R 1 4200 4200", "expected at least 24 fields, found 6"},
      {"4242 (sleep) RS 1 4200 4200 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 5 100 9", "bad state"},
      {"4242 (sleep) S 1 -3 4200 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 5 100 9", "bad pgrp"},
      {"4242 (sleep) S 1 4200 4200 0 -1 0 0 0 0 0 x 2 0 0 20 0 1 0 5 100 9", "bad utime"},
      {"4242 (sleep) S 1 4200 4200 0 -1 0 0 0 0 0 1 -2 0 0 20 0 1 0 5 100 9", "bad stime"},
      {"4242 (sleep) S 1 4200 4200 0 -1 0 0 0 0 0 1 2 0 0 20 0 1.5 0 5 100 9", "bad num_threads"},
      {"4242 (sleep) S 1 4200 4200 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 5x 100 9", "bad starttime"},
      {"4242 (sleep) S 1 4200 4200 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 5 100 ?", "bad rss"},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.text);
    auto stat = ParseProcStat(c.text, "/proc/4242/stat");
    ASSERT_FALSE(stat.ok());
    EXPECT_EQ(stat.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(stat.status().message().find("/proc/4242/stat: "), std::string::npos);
    EXPECT_NE(stat.status().message().find(c.what), std::string::npos) << stat.status().message();
  }
}

TEST(ParseHostCpuTest, SumsUserThroughStealAndLeavesGuestOut) {
  HostSample s;
  ASSERT_TRUE(ParseHostCpu("cpu  100 5 50 1000 20 3 2 1 40 4\n"
                           "cpu0 50 2 25 500 10 1 1 0 20 2\n"
                           "intr 12345 0 0\nctxt 999\n",
                           &s)
                  .ok());
  EXPECT_EQ(s.cpu_total_ticks, 100u + 5 + 50 + 1000 + 20 + 3 + 2 + 1);
  EXPECT_EQ(s.cpu_busy_ticks, 100u + 5 + 50 + 3 + 2 + 1);

  ASSERT_TRUE(ParseHostCpu("cpu 10 0 10 80\n", &s).ok());  // before iowait existed
  EXPECT_EQ(s.cpu_total_ticks, 100u);
  EXPECT_EQ(s.cpu_busy_ticks, 20u);
}

TEST(ParseHostCpuTest, RejectsMalformedText) {
  for (std::string_view text :
       {"", "cpu0 1 2 3 4\n", "cpu 1 2 3\n", "cpu 1 2 x 4 5\n", "cpu 1 2 -3 4\n"}) {
    SCOPED_TRACE(text);
    HostSample s;
    Status status = ParseHostCpu(text, &s);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(status.message().find("/proc/stat"), std::string::npos);
  }
}

TEST(ParseMeminfoTest, ReadsTotalAndAvailableInBytes) {
  HostSample s;
  ASSERT_TRUE(ParseMeminfo("MemTotal:       16318412 kB\n"
                           "MemFree:         1203544 kB\n"
                           "MemAvailable:    9876543 kB\n"
                           "HugePages_Total:       0\n",
                           &s)
                  .ok());
  EXPECT_EQ(s.mem_total_bytes, int64_t{16318412} * 1024);
  EXPECT_EQ(s.mem_available_bytes, int64_t{9876543} * 1024);
}

TEST(ParseMeminfoTest, RejectsMissingOrMalformedLines) {
  const struct {
    std::string_view text;
    std::string_view what;
  } kCases[] = {
      {"", "no MemTotal"},
      {"MemTotal: 100 kB\n", "no MemAvailable"},
      {"MemAvailable: 100 kB\n", "no MemTotal"},
      {"MemTotal: lots kB\nMemAvailable: 1 kB\n", "bad MemTotal"},
      {"MemTotal: 100 MB\nMemAvailable: 1 kB\n", "bad MemTotal"},
      {"MemTotal: 100 kB\nMemAvailable:\n", "bad MemAvailable"},
      {"MemTotal: 99999999999999999 kB\nMemAvailable: 1 kB\n", "out of range"},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.text);
    HostSample s;
    Status status = ParseMeminfo(c.text, &s);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(status.message().find("/proc/meminfo: "), std::string::npos);
    EXPECT_NE(status.message().find(c.what), std::string::npos) << status.message();
  }
}

constexpr std::string_view kNetDevHeader =
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "
    "drop fifo colls carrier compressed\n";

TEST(ParseNetDevTest, SumsEveryInterfaceButLoopback) {
  HostSample s;
  const std::string text =
      std::string(kNetDevHeader) +
      "    lo: 9000000 9000 0 0 0 0 0 0 9000000 9000 0 0 0 0 0 0\n"
      "  eth0: 1000 10    0    0    0     0          0         0   2000   20 0 0 0 0 0 0\n"
      "wlp2s0-long:300 3 0 0 0 0 0 0 400 4 0 0 0 0 0 0\n";
  ASSERT_TRUE(ParseNetDev(text, &s).ok());
  EXPECT_EQ(s.net_rx_bytes, 1300u);
  EXPECT_EQ(s.net_rx_packets, 13u);
  EXPECT_EQ(s.net_tx_bytes, 2400u);
  EXPECT_EQ(s.net_tx_packets, 24u);

  ASSERT_TRUE(ParseNetDev(kNetDevHeader, &s).ok());  // no interfaces at all
  EXPECT_EQ(s.net_rx_bytes, 0u);
}

TEST(ParseNetDevTest, RejectsMalformedText) {
  const std::string header(kNetDevHeader);
  for (const std::string& text :
       {std::string(), std::string("eth0: 1 2 3\n"),
        header + "eth0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n", header + "eth0: 1 2 3\n",
        header + ": 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n",
        header + "eth0: 1 2 3 4 5 6 7 8 x 10 11 12 13 14 15 16\n"}) {
    SCOPED_TRACE(text);
    HostSample s;
    Status status = ParseNetDev(text, &s);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(status.message().find("/proc/net/dev: "), std::string::npos);
  }
}

TEST(RatesTest, CpuPercentIsPercentOfOneCore) {
  EXPECT_DOUBLE_EQ(CpuPercent(1'000'000'000, 1'000'000'000), 100.0);
  EXPECT_DOUBLE_EQ(CpuPercent(500'000'000, 1'000'000'000), 50.0);
  EXPECT_DOUBLE_EQ(CpuPercent(3'000'000'000, 1'000'000'000), 300.0);
  EXPECT_DOUBLE_EQ(CpuPercent(1'000, 0), 0.0);
  EXPECT_DOUBLE_EQ(CpuPercent(-1'000, 1'000'000), 0.0);
}

TEST(RatesTest, HostCpuPercentIsOverAllCores) {
  HostSample a, b;
  a.cpu_busy_ticks = 100;
  a.cpu_total_ticks = 1000;
  b.cpu_busy_ticks = 150;
  b.cpu_total_ticks = 1200;
  EXPECT_DOUBLE_EQ(HostCpuPercent(a, b), 25.0);
  EXPECT_DOUBLE_EQ(HostCpuPercent(a, a), 0.0);
  EXPECT_DOUBLE_EQ(HostCpuPercent(b, a), 0.0);
}

TEST(SampleProcessGroupTest, SamplesThisTestsOwnGroup) {
  // A second thread, so the thread count sees more than the main one.
  std::promise<void> stop;
  std::thread waiter([f = stop.get_future()]() mutable { f.wait(); });
  auto sample = SampleProcessGroup(::getpgrp());
  stop.set_value();
  waiter.join();
  ASSERT_TRUE(sample.ok()) << sample.status().ToString();
  EXPECT_GE(sample->processes, 1);
  EXPECT_GE(sample->threads, 2);
  EXPECT_GE(sample->open_fds, 3);
  EXPECT_GT(sample->rss_bytes, 0);
  EXPECT_GE(sample->cpu_ns, 0);
}

TEST(SampleProcessGroupTest, SeesAChildBurnCpuInItsOwnGroupAndThenGone) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::setpgid(0, 0);
    timespec t{};
    do {  // burn ~200 ms of CPU, then wait to be killed
      ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    } while (t.tv_sec == 0 && t.tv_nsec < 200'000'000);
    while (true) ::pause();
  }
  ::setpgid(child, child);  // also here, so the group exists before the first sample

  // The group's CPU time shows in clock ticks (10 ms); nothing signals it, so poll.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  StatusOr<ProcessSample> sample = NotFoundError("not sampled yet");
  while (true) {
    sample = SampleProcessGroup(child);
    if (sample.ok() && sample->cpu_ns > 0) break;
    if (std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_TRUE(sample.ok()) << sample.status().ToString();
  EXPECT_GT(sample->cpu_ns, 0);
  EXPECT_EQ(sample->processes, 1);
  EXPECT_EQ(sample->threads, 1);
  EXPECT_GE(sample->open_fds, 3);
  EXPECT_GT(sample->rss_bytes, 0);
  EXPECT_TRUE(sample->state == 'R' || sample->state == 'S') << sample->state;

  auto started = ProcessStartTime(child);
  auto mine = ProcessStartTime(::getpid());
  ASSERT_TRUE(started.ok() && mine.ok());
  EXPECT_GE(*started, *mine);

  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_EQ(SampleProcessGroup(child).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ProcessStartTime(child).status().code(), StatusCode::kNotFound);
}

TEST(SampleProcessGroupTest, NoSuchGroupIsNotFound) {
  constexpr pid_t kBeyondPidMax = 1 << 30;  // pid_max is at most 2^22
  EXPECT_EQ(SampleProcessGroup(kBeyondPidMax).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(SampleProcessGroup(0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(SampleProcessGroup(-5).status().code(), StatusCode::kInvalidArgument);
}

TEST(SampleProcessGroupTest, SeveralGroupsInOneScan) {
  // A child alone in a group of its own: this test's group is shared with whatever else its
  // runner started, and changes between two scans.
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::setpgid(0, 0);
    ::pause();
    ::_exit(0);
  }
  ::setpgid(child, child);
  constexpr pid_t kBeyondPidMax = 1 << 30;
  auto samples = SampleProcessGroups({::getpgrp(), child, kBeyondPidMax});
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  ASSERT_TRUE(samples.ok()) << samples.status().ToString();
  ASSERT_EQ(samples->size(), 2u) << "a group without processes has no sample";
  EXPECT_GE(samples->at(::getpgrp()).processes, 1);
  EXPECT_GT(samples->at(::getpgrp()).rss_bytes, 0);
  EXPECT_EQ(samples->at(child).processes, 1);
  EXPECT_GE(samples->at(child).threads, 1);
}

TEST(ProcessStartTimeTest, IsStableForOneProcessAndNotFoundForNone) {
  auto first = ProcessStartTime(::getpid());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_GT(*first, 0u);
  auto second = ProcessStartTime(::getpid());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*first, *second);
  EXPECT_EQ(ProcessStartTime(1 << 30).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ProcessStartTime(0).status().code(), StatusCode::kInvalidArgument);
}

TEST(SampleHostTest, ReadsPlausibleCountersAndTheyOnlyGrow) {
  auto a = SampleHost();
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_GT(a->cpu_total_ticks, a->cpu_busy_ticks);
  EXPECT_GT(a->cpu_busy_ticks, 0u);
  EXPECT_GT(a->mem_total_bytes, a->mem_available_bytes);
  EXPECT_GT(a->mem_available_bytes, 0);
  EXPECT_GE(a->cpus, 1);
  auto b = SampleHost();
  ASSERT_TRUE(b.ok());
  EXPECT_GE(b->cpu_total_ticks, a->cpu_total_ticks);
  EXPECT_GE(b->net_rx_bytes, a->net_rx_bytes);
  const double percent = HostCpuPercent(*a, *b);
  EXPECT_GE(percent, 0.0);
  EXPECT_LE(percent, 100.0);
}

}  // namespace
}  // namespace vigil::fleet
