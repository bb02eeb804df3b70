#include "healthd/monitors/poller.h"

#include <unistd.h>

#include <array>
#include <boost/asio/execution_context.hpp>
#include <cerrno>
#include <exception>
#include <system_error>

namespace tandem::health {

namespace {

namespace asio = boost::asio;

// Ties the poller to its io_context: created by use_service, shut down with
// the context (before the reactor it waits on goes away), while clients may
// still hold the Poller itself.
class PollerService final : public asio::execution_context::service {
 public:
  using key_type = PollerService;
  static inline asio::execution_context::id id;

  explicit PollerService(asio::execution_context& ctx)
      : service(ctx), poller(std::make_shared<Poller>(static_cast<asio::io_context&>(ctx))) {}

  void shutdown() override { poller->shutdown(); }

  std::shared_ptr<Poller> poller;
};

constexpr std::size_t kBatch = 256;

}  // namespace

std::shared_ptr<Poller> Poller::of(asio::io_context& io) {
  return asio::use_service<PollerService>(io).poller;
}

Poller::Poller(asio::io_context& io) {
  deadline_timer_.emplace(io);
  epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) return;  // add() fails and the checks say why
  boost::system::error_code ec;
  watch_.emplace(io);
  watch_->assign(epfd_, ec);
  if (ec) {
    watch_.reset();
    ::close(epfd_);
    epfd_ = -1;
  }
}

Poller::~Poller() {
  shutdown();
}

void Poller::shutdown() {
  if (watch_) {
    boost::system::error_code ignored;
    watch_->close(ignored);  // closes epfd_ too
    watch_.reset();
    epfd_ = -1;
  }
  for (auto& s : slots_) s.client.reset();
  if (deadline_timer_) {
    deadline_timer_->cancel();
    deadline_timer_.reset();
  }
  timer_at_.reset();
  // Released outside the heap: an owner's destructor may unschedule.
  std::vector<Pending> pending = std::move(heap_);
  heap_.clear();
  for (auto& p : pending) p.e->heap_index_ = kNotScheduled;
}

void Poller::place(std::size_t i, Pending p) {
  p.e->heap_index_ = i;
  heap_[i] = std::move(p);
}

void Poller::sift_up(std::size_t i) {
  Pending p = std::move(heap_[i]);
  while (i > 0) {
    const std::size_t parent = (i - 1) / 2;
    if (!(p.e->at_ < heap_[parent].e->at_)) break;
    place(i, std::move(heap_[parent]));
    i = parent;
  }
  place(i, std::move(p));
}

void Poller::sift_down(std::size_t i) {
  Pending p = std::move(heap_[i]);
  const std::size_t n = heap_.size();
  for (;;) {
    std::size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && heap_[child + 1].e->at_ < heap_[child].e->at_) ++child;
    if (!(heap_[child].e->at_ < p.e->at_)) break;
    place(i, std::move(heap_[child]));
    i = child;
  }
  place(i, std::move(p));
}

Poller::Pending Poller::take(std::size_t i) {
  Pending out = std::move(heap_[i]);
  out.e->heap_index_ = kNotScheduled;
  Pending last = std::move(heap_.back());
  heap_.pop_back();
  if (i < heap_.size()) {
    const bool earlier = last.e->at_ < out.e->at_;
    place(i, std::move(last));
    if (earlier) {
      sift_up(i);
    } else {
      sift_down(i);
    }
  }
  return out;
}

void Poller::schedule(Expiring& e, std::chrono::steady_clock::time_point at,
                      std::shared_ptr<void> keep) {
  std::shared_ptr<void> old;
  if (e.heap_index_ != kNotScheduled) old = take(e.heap_index_).keep;
  if (!deadline_timer_) return;  // shut down: nothing will expire anything
  e.at_ = at;
  heap_.push_back(Pending{&e, std::move(keep)});
  e.heap_index_ = heap_.size() - 1;
  sift_up(heap_.size() - 1);
  if (!timer_at_ || at < *timer_at_) arm_deadline(at);
}

void Poller::unschedule(Expiring& e) {
  if (e.heap_index_ == kNotScheduled || e.heap_index_ >= heap_.size()) return;
  Pending p = take(e.heap_index_);
  // Nothing left: a loop with no other work may return from run() (tests,
  // tandem-healthcheck) unless the daemon keeps waiting anyway.
  if (heap_.empty() && !keep_waiting_ && timer_at_ && deadline_timer_) stop_deadline_timer();
}

void Poller::stop_deadline_timer() {
  ++timer_generation_;
  deadline_timer_->cancel();
  timer_at_.reset();
}

void Poller::arm_deadline(std::chrono::steady_clock::time_point at) {
  timer_at_ = at;
  const std::uint64_t generation = ++timer_generation_;
  // expires_at cancels a wait already pending; its handler then finds a
  // newer generation and does nothing.
  deadline_timer_->expires_at(at);
  deadline_timer_->async_wait(
      [self = shared_from_this(), generation](const boost::system::error_code&) {
        if (generation != self->timer_generation_) return;
        self->timer_at_.reset();
        self->on_deadlines();
      });
}

void Poller::on_deadlines() {
  if (!deadline_timer_) return;
  const auto now = std::chrono::steady_clock::now();
  while (!heap_.empty() && heap_.front().e->at_ <= now) {
    // The owner stays alive through expire even if it is the last reference.
    Pending p = take(0);
    try {
      p.e->expire();
    } catch (const std::exception&) {
      // expire does not throw; if it did, the run still ended.
    }
  }
  if (!heap_.empty() && deadline_timer_ && !timer_at_) arm_deadline(heap_.front().e->at_);
}

std::optional<Poller::Token> Poller::add(int fd, std::uint32_t events,
                                         std::shared_ptr<Client> client) {
  if (!watch_) {
    errno = EBADF;
    return std::nullopt;
  }
  std::uint32_t index;
  if (!free_.empty()) {
    index = free_.back();
    free_.pop_back();
  } else {
    index = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& slot = slots_[index];
  const Token token = (static_cast<Token>(slot.generation) << 32) | index;
  epoll_event ev{};
  ev.events = events | EPOLLET;
  ev.data.u64 = token;
  if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    const int err = errno;
    free_.push_back(index);
    errno = err;
    return std::nullopt;
  }
  slot.client = std::move(client);
  ++live_;
  arm();
  return token;
}

void Poller::remove(Token token) {
  const auto index = static_cast<std::uint32_t>(token & 0xffffffffu);
  if (index >= slots_.size()) return;
  Slot& slot = slots_[index];
  if (slot.generation != static_cast<std::uint32_t>(token >> 32) || !slot.client) return;
  // The descriptor leaves the epoll set when it is closed (healthd never
  // duplicates it), so no EPOLL_CTL_DEL: one syscall less per check.
  slot.client.reset();
  ++slot.generation;
  free_.push_back(index);
  --live_;
  // Nothing left to watch: stop waiting, so a loop with no other work can
  // return from run() (tandem-healthcheck, tests). Not from inside a
  // dispatch: the handler decides after the batch.
  if (live_ == 0 && waiting_ && !dispatching_ && !keep_waiting_ && watch_) watch_->cancel();
}

void Poller::keep_waiting(bool on) {
  keep_waiting_ = on;
  if (on) {
    arm();
    return;
  }
  if (live_ == 0 && waiting_ && !dispatching_ && watch_) watch_->cancel();
  if (heap_.empty() && timer_at_ && deadline_timer_) stop_deadline_timer();
}

void Poller::arm() {
  if (waiting_ || !watch_ || (live_ == 0 && !keep_waiting_)) return;
  waiting_ = true;
  // The wait is registered before the set is drained (on_ready), so a socket
  // that becomes ready after the drain raises a new edge for this wait.
  watch_->async_wait(asio::posix::descriptor_base::wait_read,
                     [self = shared_from_this()](const boost::system::error_code&) {
                       self->waiting_ = false;
                       self->on_ready();
                     });
}

void Poller::on_ready() {
  if (!watch_) return;
  if (live_ == 0 && !keep_waiting_) return;
  arm();
  std::array<epoll_event, kBatch> events;
  dispatching_ = true;
  for (;;) {
    ++waits_;
    const int n = ::epoll_wait(epfd_, events.data(), static_cast<int>(events.size()), 0);
    if (n <= 0) break;  // EINTR included: the next edge or wait comes back here
    for (int i = 0; i < n; ++i) {
      const Token token = events[i].data.u64;
      const auto index = static_cast<std::uint32_t>(token & 0xffffffffu);
      if (index >= slots_.size()) continue;
      Slot& slot = slots_[index];
      if (slot.generation != static_cast<std::uint32_t>(token >> 32) || !slot.client) continue;
      // A copy: the client may remove itself (and free the slot) inside.
      std::shared_ptr<Client> client = slot.client;
      ++dispatched_;
      try {
        client->on_events(events[i].events);
      } catch (const std::exception&) {
        // Clients do not throw; if one did, its deadline still ends the run.
      }
    }
    if (static_cast<std::size_t>(n) < events.size()) break;
  }
  dispatching_ = false;
  if (live_ == 0 && waiting_ && !keep_waiting_ && watch_) watch_->cancel();
}

}  // namespace tandem::health
