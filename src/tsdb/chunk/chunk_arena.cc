#include "tsdb/chunk/chunk_arena.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <new>

namespace vigil::tsdb::chunk {
namespace {

size_t PageBytes() {
  static const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  return page;
}

size_t RoundUp(size_t n, size_t to) { return (n + to - 1) / to * to; }

}  // namespace

ChunkArena::~ChunkArena() {
  for (const Block& b : blocks_) ::munmap(b.addr, b.bytes);
}

uint8_t* ChunkArena::Allocate(size_t n) {
  n = RoundUp(n == 0 ? 1 : n, 8);
  std::lock_guard l(mu_);
  if (n > left_) {
    block_bytes_ = block_bytes_ == 0 ? PageBytes() : std::min(block_bytes_ * 2, kMaxBlockBytes);
    // The rest of the current block is left unused: requests are chunk buffers, small next to
    // a block. A request larger than a block gets a block of its size.
    const size_t bytes = RoundUp(std::max(n, block_bytes_), PageBytes());
    void* addr = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (addr == MAP_FAILED) {
      std::fprintf(stderr, "ChunkArena: mmap of %zu bytes failed\n", bytes);
      std::abort();
    }
    blocks_.push_back(Block{addr, bytes});
    mapped_.fetch_add(bytes, std::memory_order_relaxed);
    next_ = static_cast<uint8_t*>(addr);
    left_ = bytes;
  }
  uint8_t* out = next_;
  next_ += n;
  left_ -= n;
  return out;
}

}  // namespace vigil::tsdb::chunk
