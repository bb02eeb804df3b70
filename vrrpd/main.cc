// tandem-vrrpd: wiring only. The engine (vrrpd/daemon) runs the VRRP
// instances on the runner's loop; this file connects its hooks and commands.

#include <memory>

#include "common/runner/runner.h"
#include "vrrpd/daemon/engine.h"
#include "vrrpd/daemon/host.h"

namespace {

// The engine and what it borrows, kept together for the Runner's life.
struct Vrrpd {
  tandem::SteadyClock clock;
  tandem::vrrp::LinuxHost host;
  std::unique_ptr<tandem::vrrp::Engine> engine;
};

}  // namespace

int main(int argc, char** argv) {
  return tandem::runner::run_main("vrrpd", argc, argv, [](tandem::runner::Runner& runner) {
    auto d = std::make_shared<Vrrpd>();
    d->engine = std::make_unique<tandem::vrrp::Engine>(
        runner.io(), d->host, d->clock,
        [&runner](std::string_view topic, const tandem::ipc::Json& data) {
          runner.publish(topic, data);
        },
        runner.options().run_dir);
    auto* e = d->engine.get();
    runner.own(d);
    runner.on_config([e, &runner](const tandem::config::Config& cfg) {
      e->apply(cfg, tandem::config::resolve_node(cfg, runner.options().node));
    });
    runner.on_status([e] { return e->status(); });
    runner.on_stop([e] { e->stop(); });
    runner.add_command("vrrp", [e](const tandem::ipc::Json&) {
      return tandem::ipc::Reply::success(e->instances());
    });
  });
}
