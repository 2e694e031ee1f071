// Process: real children started in their own group, their output kept, exits seen, stops that
// escalate to SIGKILL and reach grandchildren, exec failures reported.
#include "fleet/process.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

namespace vigil::fleet {
namespace {

using namespace std::chrono_literals;

ProcessSpec Spec(std::vector<std::string> argv) {
  ProcessSpec spec;
  spec.argv = std::move(argv);
  return spec;
}

std::unique_ptr<Process> StartOk(ProcessSpec spec) {
  auto p = Process::Start(spec);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return p.ok() ? std::move(p).value() : nullptr;
}

// Waits (bounded) until `p` has printed `text`; the output arrives through a pipe and a thread.
bool AwaitOutput(const Process& p, const std::string& text) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (p.RecentOutput().find(text) == std::string::npos) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);  // the output has no other signal to wait on
  }
  return true;
}

int AwaitExit(Process* p) {
  int status = 0;
  pollfd fd{p->pidfd(), POLLIN, 0};
  EXPECT_EQ(::poll(&fd, 1, 10'000), 1);
  EXPECT_TRUE(p->Poll(&status));
  return status;
}

bool Alive(pid_t pid) { return ::kill(pid, 0) == 0; }

TEST(ProcessTest, CapturesOutputToMemoryAndLogAndStopsOnSigterm) {
  char dir[] = "/tmp/vigil_fleet_XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string log = std::string(dir) + "/out.log";
  ProcessSpec spec = Spec({"sh", "-c", "echo hello; echo oops >&2; exec sleep 30"});
  spec.log_path = log;
  auto p = StartOk(spec);
  ASSERT_NE(p, nullptr);
  ASSERT_TRUE(AwaitOutput(*p, "hello\noops\n")) << p->RecentOutput();
  EXPECT_EQ(::getpgid(p->pid()), p->pid());  // a group of its own
  int status = 0;
  EXPECT_FALSE(p->Poll(&status));
  const auto t0 = std::chrono::steady_clock::now();
  p->Stop(5s, &status);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);  // SIGTERM sufficed
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGTERM);
  EXPECT_EQ(DescribeWaitStatus(status).rfind("killed by signal 15", 0), 0u);
  p.reset();  // joins the output thread: the log is complete
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "hello\noops\n");
  std::system(("rm -rf " + std::string(dir)).c_str());
}

// Once the file holds log_max_bytes it moves to .1 and a new one starts; the sink sees every
// byte. (A file outgrows the limit by one read, 16 KiB, at most.)
TEST(ProcessTest, LogFileRotatesAndTheSinkGetsEverything) {
  char dir[] = "/tmp/vigil_fleet_XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string log = std::string(dir) + "/out.log";
  ProcessSpec spec = Spec({"sh", "-c", "head -c 100000 /dev/zero | tr '\\0' x; echo"});
  spec.log_path = log;
  spec.log_max_bytes = 20'000;
  std::mutex mu;
  size_t seen = 0;
  spec.on_output = [&](std::string_view b) {
    std::lock_guard l(mu);
    seen += b.size();
  };
  auto p = StartOk(spec);
  ASSERT_NE(p, nullptr);
  AwaitExit(p.get());
  p.reset();  // joins the output thread
  auto size_of = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    return in ? static_cast<size_t>(in.tellg()) : size_t{0};
  };
  EXPECT_EQ(seen, 100'001u);
  EXPECT_GT(size_of(log + ".1"), 0u);
  EXPECT_LE(size_of(log + ".1"), 20'000u + (16 << 10));
  EXPECT_LE(size_of(log), 20'000u + (16 << 10));
  EXPECT_LT(size_of(log) + size_of(log + ".1"), 100'001u) << "nothing was rotated away";
  std::system(("rm -rf " + std::string(dir)).c_str());
}

TEST(ProcessTest, ExitIsSeenWithItsStatus) {
  auto p = StartOk(Spec({"sh", "-c", "exit 3"}));
  ASSERT_NE(p, nullptr);
  const int status = AwaitExit(p.get());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 3);
  EXPECT_EQ(DescribeWaitStatus(status), "exited with status 3");
}

TEST(ProcessTest, StopEscalatesToSigkillAndReachesTheWholeGroup) {
  // The shell ignores SIGTERM and leaves a grandchild (that would also ignore it).
  auto p = StartOk(Spec({"sh", "-c", "trap '' TERM; sleep 30 & echo child=$!; wait"}));
  ASSERT_NE(p, nullptr);
  ASSERT_TRUE(AwaitOutput(*p, "\n"));
  const std::string out = p->RecentOutput();
  const pid_t grandchild = std::atoi(out.substr(out.find('=') + 1).c_str());
  ASSERT_GT(grandchild, 0) << out;
  ASSERT_TRUE(Alive(grandchild));
  const auto t0 = std::chrono::steady_clock::now();
  int status = 0;
  p->Stop(200ms, &status);
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(took, 200ms);
  EXPECT_LT(took, 3s);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  // The grandchild got SIGTERM then SIGKILL with the group; init reaps it. Until then it may
  // be a zombie, which kill(0) still finds: check its state instead.
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  for (;;) {
    std::ifstream stat("/proc/" + std::to_string(grandchild) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) break;  // gone
    const char state = line[line.rfind(')') + 2];
    if (state == 'Z' || state == 'X') break;
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "grandchild still running: " << line;
    std::this_thread::sleep_for(5ms);
  }
}

TEST(ProcessTest, DestructorKillsARunningGroup) {
  pid_t pid;
  {
    auto p = StartOk(Spec({"sleep", "30"}));
    ASSERT_NE(p, nullptr);
    pid = p->pid();
    ASSERT_TRUE(Alive(pid));
  }
  EXPECT_FALSE(Alive(pid));  // killed and reaped
}

TEST(ProcessTest, EnvironmentAndWorkingDirectoryReachTheChild) {
  ProcessSpec spec = Spec({"sh", "-c", "echo \"$VIGIL_TEST_A $HOME\"; pwd; exec sleep 30"});
  spec.env = {{"VIGIL_TEST_A", "alpha"}, {"HOME", "/nowhere"}};
  spec.working_dir = "/tmp";
  auto p = StartOk(spec);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(AwaitOutput(*p, "alpha /nowhere\n/tmp\n")) << p->RecentOutput();
}

TEST(ProcessTest, ExecFailuresAreReportedAtStart) {
  auto missing = Process::Start(Spec({"vigil-no-such-command"}));
  ASSERT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(missing.status().message().find("vigil-no-such-command"), std::string::npos);
  // Not a program (no execute bit, or no format the kernel runs): the exec error, not a crash.
  auto not_exec = Process::Start(Spec({"/proc/self/status"}));
  ASSERT_EQ(not_exec.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(not_exec.status().message().rfind("cannot run '/proc/self/status': ", 0), 0u)
      << not_exec.status().message();
  ProcessSpec in_bad_dir = Spec({"true"});
  in_bad_dir.working_dir = "/vigil/no/such/dir";
  auto bad_dir = Process::Start(in_bad_dir);
  ASSERT_EQ(bad_dir.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad_dir.status().message().find("/vigil/no/such/dir"), std::string::npos);
  EXPECT_EQ(Process::Start({}).status().code(), StatusCode::kInvalidArgument);
}

TEST(ProcessTest, RecentOutputKeepsTheNewestBytes) {
  ProcessSpec spec =
      Spec({"sh", "-c", "i=0; while [ $i -lt 2000 ]; do echo line$i; i=$((i+1)); done"});
  spec.recent_bytes = 100;
  auto p = StartOk(spec);
  ASSERT_NE(p, nullptr);
  AwaitExit(p.get());
  ASSERT_TRUE(AwaitOutput(*p, "line1999\n"));
  const std::string recent = p->RecentOutput();
  EXPECT_EQ(recent.size(), 100u);
  EXPECT_EQ(recent.substr(recent.size() - 9), "line1999\n");
}

}  // namespace
}  // namespace vigil::fleet
