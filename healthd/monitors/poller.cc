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
  } else if (live_ == 0 && waiting_ && !dispatching_ && watch_) {
    watch_->cancel();
  }
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
