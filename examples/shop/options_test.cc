#include "examples/shop/options.h"

#include <gtest/gtest.h>

#include <map>

namespace vigil::shop {
namespace {

StatusOr<ShopOptions> Parse(std::vector<std::string> args,
                            std::map<std::string, std::string> env = {}) {
  return ParseOptions(args, [&env](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
}

TEST(OptionsTest, DefaultsEnvironmentThenFlags) {
  StatusOr<ShopOptions> o = Parse({});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->port, 8080);
  EXPECT_EQ(o->db_path, "./shop.db");
  EXPECT_EQ(o->version, "dev");
  EXPECT_EQ(o->app, "shop");
  EXPECT_FALSE(o->publish_metrics());

  o = Parse({"--port", "9001", "--fault-unhealthy", "--version-label=v3"},
            {{"PORT", "7000"},
             {"SHOP_VERSION", "v2"},
             {"SHOP_FAULT_ERROR_RATE", "0.5"},
             {"SHOP_FAULT_CRASH_ON_START", "1"},
             {"VIGIL_ENDPOINT", "http://127.0.0.1:4510"},
             {"VIGIL_ACCESS_KEY_ID", "AK"},
             {"VIGIL_SECRET_ACCESS_KEY", "SK"}});
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->port, 9001);  // the flag wins
  EXPECT_EQ(o->version, "v3");
  EXPECT_EQ(o->faults.error_rate, 0.5);
  EXPECT_TRUE(o->faults.crash_on_start);
  EXPECT_TRUE(o->faults.unhealthy);
  EXPECT_TRUE(o->publish_metrics());
}

TEST(OptionsTest, BadValuesNameTheFlagOrVariable) {
  struct Case {
    std::vector<std::string> args;
    std::map<std::string, std::string> env;
    std::string message;
  };
  const Case kCases[] = {
      {{"--port", "70000"}, {}, "--port"},
      {{"--fault-error-rate", "1.5"}, {}, "--fault-error-rate"},
      {{"--fault-latency-ms", "-1"}, {}, "--fault-latency-ms"},
      {{"--db"}, {}, "--db needs a value"},
      {{"--colour"}, {}, "unknown flag --colour"},
      {{}, {{"SHOP_FAULT_UNHEALTHY", "maybe"}}, "SHOP_FAULT_UNHEALTHY"},
      {{}, {{"PORT", "http"}}, "PORT"},
  };
  for (const Case& c : kCases) {
    StatusOr<ShopOptions> o = Parse(c.args, c.env);
    ASSERT_FALSE(o.ok()) << c.message;
    EXPECT_EQ(o.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(o.status().message().find(c.message), std::string::npos) << o.status().message();
  }
  EXPECT_EQ(Parse({"--help"}).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace vigil::shop
