#pragma once
// ChunkArena: the memory of one head's chunk buffers (LevelDB's memtable Arena, for chunks);
// a second one per head holds its series objects.
//
// Why: a head holds millions of small, growing byte buffers and dies whole when it is written
// out. From the general heap, those buffers leave the freed head's pages interleaved with the
// next head's live ones, so the process' RSS keeps both; and every sealed chunk's shrink-to-fit
// is one more allocation and copy. From an arena, a buffer is a pointer bump, and a written
// head returns its memory to the operating system at once, whole pages at a time.
//
// Blocks are mapped pages (mmap), starting at one page and doubling up to kMaxBlockBytes, so
// a small head (tests, a handful of series) holds little. Memory handed out is never reused
// before the arena dies: callers grow buffers by allocating anew, so they should size them well.
//
// Thread-safety: Allocate and MemoryBytes may be called concurrently.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace vigil::tsdb::chunk {

class ChunkArena {
 public:
  static constexpr size_t kMaxBlockBytes = 256 << 10;

  ChunkArena() = default;
  ~ChunkArena();
  ChunkArena(const ChunkArena&) = delete;
  ChunkArena& operator=(const ChunkArena&) = delete;

  // `n` bytes, 8-aligned, valid until the arena is destroyed. Aborts when the system is out of
  // memory, as operator new would.
  uint8_t* Allocate(size_t n);

  // Bytes of the blocks mapped so far (what the arena costs, used or not).
  size_t MemoryBytes() const { return mapped_.load(std::memory_order_relaxed); }

 private:
  struct Block {
    void* addr;
    size_t bytes;
  };

  std::mutex mu_;
  std::vector<Block> blocks_;  // guarded by mu_
  uint8_t* next_ = nullptr;    // guarded by mu_: free space of the newest block
  size_t left_ = 0;            // guarded by mu_
  size_t block_bytes_ = 0;     // guarded by mu_: size of the next regular block
  std::atomic<size_t> mapped_{0};
};

}  // namespace vigil::tsdb::chunk
