// tandem-healthd: wiring only. The engine (healthd/engine) runs the checks
// on the runner's loop; this file connects its hooks and commands.

#include <chrono>
#include <memory>
#include <random>
#include <string>
#include <variant>

#include "common/ipc/client.h"
#include "common/log/log.h"
#include "common/runner/runner.h"
#include "healthd/engine/engine.h"

namespace {

// Asks the director what its table holds, so a restarted healthd resumes
// instead of re-learning every server (and pulling them meanwhile). Once, at
// start, before the first check: a short blocking call is the simplest
// thing that cannot race a result. No director, or an old one, is fine.
void resume_from_director(tandem::runner::Runner& runner, tandem::health::Engine& engine) {
  const std::string path = runner.options().run_dir + "/director.sock";
  auto reply = tandem::ipc::call(path, "services", tandem::ipc::Json::object(),
                                 std::chrono::seconds(2));
  if (auto* err = std::get_if<std::string>(&reply)) {
    tandem::log::info("health: no director table to resume from (" + *err + ")");
    return;
  }
  const auto& r = std::get<tandem::ipc::Response>(reply);
  if (!r.ok) {
    tandem::log::info("health: director did not give its table (" + r.error + ")");
    return;
  }
  engine.resume_from(r.result);
}

}  // namespace

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
    resume_from_director(runner, *e);
    runner.on_config([e](const tandem::config::Config& cfg) { e->apply(cfg); });
    runner.on_status([e] { return e->status(); });
    runner.on_stop([e] { e->stop(); });
    runner.add_command("health", [e](const tandem::ipc::Json& args) {
      const auto service = args.find("service");
      const auto history = args.find("history");
      return tandem::ipc::Reply::success(
          e->health(service != args.end() && service->is_string() ? service->get<std::string>()
                                                                   : std::string(),
                    history == args.end() || !history->is_boolean() || history->get<bool>()));
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
