// tandem-alertd: wiring only. Events arrive as the `event` control command
// and from the daemons alertd subscribes to (alerts/engine/feeds.h);
// alerts/engine turns them into durable, retried deliveries.

#include <curl/curl.h>

#include <memory>

#include "alerts/engine/engine.h"
#include "alerts/engine/feeds.h"
#include "common/runner/runner.h"

int main(int argc, char** argv) {
  // Once, before any thread exists, as libcurl asks.
  curl_global_init(CURL_GLOBAL_DEFAULT);
  int rc = tandem::runner::run_main("alertd", argc, argv, [](tandem::runner::Runner& runner) {
    // Shared by the hooks the runner keeps, so the engine lives as long as
    // they do and is gone before the runner's io_context.
    auto engine = std::make_shared<tandem::alerts::AlertEngine>(
        runner.io(), [&runner](std::string_view topic, const tandem::ipc::Json& data) {
          runner.publish(topic, data);
        });
    auto feeds =
        std::make_shared<tandem::alerts::Feeds>(runner.io(), runner.options().run_dir, engine);
    runner.on_config([engine, feeds, run_dir = runner.options().run_dir](
                         const tandem::config::Config& cfg) {
      feeds->set_backup_alerts(cfg.alerts.backup_alerts);
      if (!cfg.alerts.spool_dir.empty() && cfg.alerts.spool_dir.front() == '/') {
        engine->apply(cfg);
        return;
      }
      tandem::config::Config resolved = cfg;
      resolved.alerts.spool_dir = run_dir + "/" + cfg.alerts.spool_dir;
      engine->apply(resolved);
    });
    runner.own(feeds);
    runner.on_stop([feeds] { feeds->stop(); });
    runner.on_status([engine, feeds] {
      tandem::ipc::Json s = engine->status();
      s["feeds"] = feeds->status();
      return s;
    });
    runner.add_command("event",
                       [engine](const tandem::ipc::Json& a) { return engine->event_command(a); });
    runner.add_command("alerts",
                       [engine](const tandem::ipc::Json&) { return engine->alerts_command(); });
    runner.add_command("alert-test",
                       [engine](const tandem::ipc::Json& a) { return engine->test_command(a); });
    feeds->start();
  });
  curl_global_cleanup();
  return rc;
}
