// A worker's deadlines and stall watches, checked in one sweep every kSweepInterval instead of
// a timer per operation; and the pools of targets that left rotation, dropped once a second.
#include <chrono>
#include <string>

#include "lb/proxy.h"

namespace vigil::lb {
namespace {

// Deadlines and stall reports are late by up to this much.
constexpr auto kSweepInterval = std::chrono::milliseconds(10);
constexpr int kPoolSweepEvery = 100;  // sweeps

bool InRotation(const fleet::TargetGroup& group, const fleet::TargetLoad* load,
                int64_t in_rotation_since_ns) {
  auto targets = group.Targets();
  for (const fleet::Target& t : *targets) {
    if (t.load.get() == load && t.in_rotation_since_ns == in_rotation_since_ns) return true;
  }
  return false;
}

void Cancel(Socket* socket) {
  boost::system::error_code ec;
  socket->cancel(ec);
}

}  // namespace

void Worker::Arm(Deadline* d) {
  d->index = deadlines.size();
  deadlines.push_back(d);
}

void Worker::Disarm(Deadline* d) {
  Deadline* last = deadlines.back();
  deadlines[d->index] = last;
  last->index = d->index;
  deadlines.pop_back();
}

Awaitable<void> Worker::Sweeper() {
  Timer timer(io);
  const int64_t stall_ns = lb->options().stall_timeout_ms * 1'000'000;
  for (int round = 1;; ++round) {
    timer.expires_after(kSweepInterval);
    boost::system::error_code ec;
    co_await timer.async_wait(Into(ec));
    if (ec) co_return;
    const int64_t now = NowNs();
    for (size_t i = 0; i < deadlines.size(); ++i) {
      Deadline* d = deadlines[i];
      if (d->expired || d->abandoned) continue;
      if (now >= d->at_ns) {
        d->expired = true;
        Cancel(d->socket);
        continue;
      }
      if (d->target == nullptr || now < d->stall_at_ns) continue;
      if (!d->stall_reported) {
        d->stall_reported = true;
        d->group->Report(d->target->instance_id, fleet::Failure::kStall,
                         "no response byte for " + std::to_string(stall_ns / 1'000'000) + " ms");
      } else if (!InRotation(*d->group, d->target->load.get(), d->target->in_rotation_since_ns)) {
        d->abandoned = true;
        Cancel(d->socket);
      }
    }
    if (round % kPoolSweepEvery == 0) {
      std::erase_if(pools, [](const Pool& p) {
        return !InRotation(*p.group, p.load, p.in_rotation_since_ns);
      });
    }
  }
}

}  // namespace vigil::lb
