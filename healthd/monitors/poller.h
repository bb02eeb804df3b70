#pragma once
// One edge-triggered epoll set for the plain-TCP check sockets of an
// io_context, itself watched by the io_context as a single descriptor.
//
// Why not Asio's own socket operations: per check they cost an FIONBIO
// ioctl, a second epoll_ctl (adding EPOLLOUT for the connect), a poll and a
// getsockopt to learn the connect's outcome, plus a locked op queue per
// operation. At 10,000 checks a second those syscalls were most of healthd's
// CPU per check, more than HAProxy's. Here a check costs socket, connect,
// one epoll_ctl, send, recv, setsockopt (linger) and close, and one
// epoll_wait serves every socket that became ready since the last.

#include <sys/epoll.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace tandem::health {

class Poller : public std::enable_shared_from_this<Poller> {
 public:
  class Client {
   public:
    virtual ~Client() = default;
    // Edge-triggered: read or write until EAGAIN or done. Must not throw.
    virtual void on_events(std::uint32_t events) = 0;
  };
  // Something with a deadline (a check run). The poller keeps every pending
  // deadline of its io_context in one heap served by one timer, instead of
  // an Asio timer per run: arming and cancelling those (a locked timer
  // queue, an operation each) were a tenth of a check's instructions.
  class Expiring {
   public:
    virtual ~Expiring() = default;
    // The deadline passed. Must not throw.
    virtual void expire() = 0;

   private:
    friend class Poller;
    std::chrono::steady_clock::time_point at_{};
    std::size_t heap_index_ = kNotScheduled;
  };
  static constexpr std::size_t kNotScheduled = SIZE_MAX;

  // Slot index and generation: an event fetched in the same batch as its
  // socket's removal finds a newer generation (or a free slot) and is dropped.
  using Token = std::uint64_t;

  // The io_context's poller, created on first use; it lives as long as the
  // io_context (a client keeps its shared_ptr to call remove safely later).
  static std::shared_ptr<Poller> of(boost::asio::io_context& io);

  explicit Poller(boost::asio::io_context& io);
  ~Poller();
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  // Watches fd for `events` (EPOLLET is added). The client is kept alive
  // until remove. nullopt with errno set when epoll refuses the descriptor.
  std::optional<Token> add(int fd, std::uint32_t events, std::shared_ptr<Client> client);
  // Call before closing the descriptor; pending events of it are dropped.
  void remove(Token token);

  std::size_t registered() const { return live_; }
  // Events handed to clients and epoll_wait calls so far (tests and status).
  std::uint64_t dispatched() const { return dispatched_; }
  std::uint64_t waits() const { return waits_; }

  // Calls e.expire() once `at` has passed, unless unscheduled first; `keep`
  // (the owner of e) is held until then. Rescheduling replaces the deadline.
  void schedule(Expiring& e, std::chrono::steady_clock::time_point at,
                std::shared_ptr<void> keep);
  // No-op when e is not scheduled. The kept owner is released after return
  // from here only if the caller holds it too; callers keep a reference.
  void unschedule(Expiring& e);
  std::size_t scheduled() const { return heap_.size(); }

  // The io_context is shutting down: no more waits; later adds fail.
  void shutdown();

  // By default the poller stops waiting whenever nothing is registered, so a
  // loop with no other work returns from run() (tandem-healthcheck, tests).
  // A daemon whose loop never idles anyway sets this: at low check rates,
  // cancelling and re-arming the wait around every check cost it two
  // handler runs and an epoll_ctl each time. Clearing it stops an idle wait.
  void keep_waiting(bool on);

  // A read buffer for clients to use inside on_events only (one loop
  // thread, nothing kept across calls): a check's session then stays small
  // enough for the allocator's fast path instead of carrying its own.
  char* scratch() { return scratch_.data(); }
  static constexpr std::size_t kScratch = 16 * 1024;

 private:
  struct Slot {
    std::shared_ptr<Client> client;
    std::uint32_t generation = 0;
  };

  struct Pending {
    Expiring* e;
    std::shared_ptr<void> keep;
  };

  void arm();
  void on_ready();
  void place(std::size_t i, Pending p);
  void sift_up(std::size_t i);
  void sift_down(std::size_t i);
  Pending take(std::size_t i);
  void arm_deadline(std::chrono::steady_clock::time_point at);
  void stop_deadline_timer();
  void on_deadlines();

  int epfd_ = -1;
  std::optional<boost::asio::posix::stream_descriptor> watch_;
  bool waiting_ = false;
  bool dispatching_ = false;
  bool keep_waiting_ = false;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_;
  std::size_t live_ = 0;
  std::uint64_t dispatched_ = 0;
  std::uint64_t waits_ = 0;
  std::array<char, kScratch> scratch_{};
  // Min-heap by deadline. The timer fires at the earliest deadline it was
  // armed for; a run that finished first is simply gone from the heap, and
  // the timer moves on to the next one then (only an earlier deadline
  // re-arms it at once), so it fires about once per timeout, not per run.
  std::vector<Pending> heap_;
  std::optional<boost::asio::steady_timer> deadline_timer_;
  std::optional<std::chrono::steady_clock::time_point> timer_at_;
  std::uint64_t timer_generation_ = 0;
};

}  // namespace tandem::health
