// CloudWatch's documented alarm semantics (AlarmThatSendsEmail, "How alarm state is evaluated
// when data is missing"), table by table.
#include "alarms/evaluate.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace vigil::alarms {
namespace {

// "0 - X - X": oldest first; 0 not breaching, X breaching, - missing.
std::vector<Point> Points(const std::string& text) {
  std::vector<Point> out;
  for (char c : text) {
    if (c == '0') out.push_back(Point::kNotBreaching);
    if (c == 'X') out.push_back(Point::kBreaching);
    if (c == '-') out.push_back(Point::kMissing);
  }
  return out;
}

// The expected state, or "retain" for the current one kept.
std::string Outcome(const std::string& points, int n, int m, MissingData treat) {
  const std::optional<StateValue> s = Decide(Points(points), n, m, treat);
  return s ? std::string(StateValueName(*s)) : "retain";
}

struct Row {
  const char* points;
  const char* missing;
  const char* ignore;
  const char* breaching;
  const char* not_breaching;
};

void CheckTable(int n, int m, const std::vector<Row>& rows) {
  for (const Row& r : rows) {
    SCOPED_TRACE(std::string(r.points) + " (" + std::to_string(m) + " of " + std::to_string(n) +
                 ")");
    EXPECT_EQ(Outcome(r.points, n, m, MissingData::kMissing), r.missing);
    EXPECT_EQ(Outcome(r.points, n, m, MissingData::kIgnore), r.ignore);
    EXPECT_EQ(Outcome(r.points, n, m, MissingData::kBreaching), r.breaching);
    EXPECT_EQ(Outcome(r.points, n, m, MissingData::kNotBreaching), r.not_breaching);
  }
}

constexpr char kOk[] = "OK", kAlarm[] = "ALARM", kInsufficient[] = "INSUFFICIENT_DATA",
               kRetain[] = "retain";

TEST(AlarmSemanticsTest, ThreeOfThreeAsDocumented) {
  ASSERT_EQ(EvaluationRange(3), 5);  // the documented example reads 5 datapoints for 3
  CheckTable(3, 3,
             {
                 {"0 - X - X", kOk, kOk, kOk, kOk},
                 {"0 - - - -", kOk, kOk, kOk, kOk},
                 {"- - - - -", kInsufficient, kRetain, kAlarm, kOk},
                 {"0 X X - X", kAlarm, kAlarm, kAlarm, kAlarm},
                 {"- - - - X", kInsufficient, kRetain, kAlarm, kOk},
                 {"X - - - -", kAlarm, kRetain, kAlarm, kOk},
             });
}

TEST(AlarmSemanticsTest, TwoOfThreeAsDocumented) {
  CheckTable(3, 2,
             {
                 {"0 - X - X", kAlarm, kAlarm, kAlarm, kAlarm},
                 {"0 0 X 0 X", kAlarm, kAlarm, kAlarm, kAlarm},
                 {"0 - X - -", kOk, kOk, kAlarm, kOk},
                 {"- - - - 0", kOk, kOk, kAlarm, kOk},
                 {"- - - - X", kInsufficient, kRetain, kAlarm, kOk},
             });
}

TEST(AlarmSemanticsTest, EnoughRealDatapointsDecideWhateverTheMissingSetting) {
  // The newest N real points decide; older ones and gaps between them do not matter.
  CheckTable(3, 3,
             {
                 {"X X X", kAlarm, kAlarm, kAlarm, kAlarm},
                 {"X X 0", kOk, kOk, kOk, kOk},
                 {"X X - 0 0 X X X", kAlarm, kAlarm, kAlarm, kAlarm},
                 {"X X X - 0 X X", kOk, kOk, kOk, kOk},
             });
  CheckTable(1, 1,
             {
                 {"0 0 X", kAlarm, kAlarm, kAlarm, kAlarm},
                 {"X X 0", kOk, kOk, kOk, kOk},
                 {"- - X", kAlarm, kAlarm, kAlarm, kAlarm},
                 {"X - -", kAlarm, kAlarm, kAlarm, kAlarm},  // 1 real point: N is reached
                 {"- - -", kInsufficient, kRetain, kAlarm, kOk},
             });
}

TEST(AlarmSemanticsTest, MOfNCountsBreachingPointsAnywhereInTheWindow) {
  CheckTable(5, 3,
             {
                 {"- - X 0 X 0 X", kAlarm, kAlarm, kAlarm, kAlarm},
                 {"- - X 0 0 0 X", kOk, kOk, kOk, kOk},
                 // 2 real breaching, 3 fills: breaching reaches 5, notBreaching stays at 2.
                 {"- - - X - - X", kInsufficient, kRetain, kAlarm, kOk},
             });
}

TEST(AlarmSemanticsTest, ComparisonOperators) {
  EXPECT_TRUE(Breaches(2, Comparison::kGreaterThanOrEqualToThreshold, 2));
  EXPECT_FALSE(Breaches(2, Comparison::kGreaterThanThreshold, 2));
  EXPECT_TRUE(Breaches(2.0001, Comparison::kGreaterThanThreshold, 2));
  EXPECT_TRUE(Breaches(1, Comparison::kLessThanThreshold, 2));
  EXPECT_FALSE(Breaches(2, Comparison::kLessThanThreshold, 2));
  EXPECT_TRUE(Breaches(2, Comparison::kLessThanOrEqualToThreshold, 2));
  EXPECT_FALSE(Breaches(3, Comparison::kLessThanOrEqualToThreshold, 2));
}

TEST(AlarmSemanticsTest, NamesRoundTrip) {
  for (Comparison c :
       {Comparison::kGreaterThanOrEqualToThreshold, Comparison::kGreaterThanThreshold,
        Comparison::kLessThanThreshold, Comparison::kLessThanOrEqualToThreshold}) {
    EXPECT_EQ(ParseComparison(ComparisonName(c)), c);
  }
  EXPECT_EQ(ParseStateValue("INSUFFICIENT_DATA"), StateValue::kInsufficientData);
  EXPECT_EQ(ParseMissingData("notBreaching"), MissingData::kNotBreaching);
  EXPECT_FALSE(ParseMissingData("NotBreaching").has_value());
  EXPECT_FALSE(ParseComparison("LessThanLowerOrGreaterThanUpperThreshold").has_value());
}

}  // namespace
}  // namespace vigil::alarms
