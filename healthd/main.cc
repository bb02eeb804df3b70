// tandem-healthd: wiring only. The engine (healthd/engine) runs the checks
// on the runner's loop; this file connects its hooks and commands.

#include <memory>
#include <random>

#include "common/runner/runner.h"
#include "healthd/engine/engine.h"

int main(int argc, char** argv) {
  return tandem::runner::run_main("healthd", argc, argv, [](tandem::runner::Runner& runner) {
    auto engine = std::make_shared<tandem::health::Engine>(
        runner.io(),
        [&runner](std::string_view topic, const tandem::ipc::Json& data) {
          runner.publish(topic, data);
        },
        std::random_device{}());
    auto* e = engine.get();
    runner.own(engine);
    runner.on_config([e](const tandem::config::Config& cfg) { e->apply(cfg); });
    runner.on_status([e] { return e->status(); });
    runner.on_stop([e] { e->stop(); });
    runner.add_command("health", [e](const tandem::ipc::Json&) {
      return tandem::ipc::Reply::success(e->health());
    });
    runner.add_command("maintenance", [e](const tandem::ipc::Json& args) {
      const auto service = args.value("service", std::string());
      const auto server = args.value("server", std::string());
      const auto on = args.find("on");
      if (service.empty() || server.empty() || on == args.end() || !on->is_boolean())
        return tandem::ipc::Reply::failure("maintenance needs service, server and on (bool)");
      if (!e->set_maintenance(service, server, on->get<bool>()))
        return tandem::ipc::Reply::failure("no server " + server + " in service " + service);
      return tandem::ipc::Reply::success(
          {{"service", service}, {"server", server}, {"on", on->get<bool>()}});
    });
  });
}
