// Copyright 2026 The sluice Authors.
//
// sluice-load's --classes parser: good lists in order, and every bad one
// refused with a message that names the bad part.

#include "load/traffic_classes.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sluice::load {
namespace {

using ::testing::HasSubstr;

TEST(TrafficClassesTest, EmptyMeansNoClass) {
  absl::StatusOr<std::vector<TrafficClass>> classes = ParseTrafficClasses("");
  ASSERT_TRUE(classes.ok()) << classes.status();
  EXPECT_TRUE(classes->empty());
}

TEST(TrafficClassesTest, ParsesNamesAndWeightsInOrder) {
  absl::StatusOr<std::vector<TrafficClass>> classes =
      ParseTrafficClasses("gold:3,bronze:1,video-hd_2.x:4294967295");
  ASSERT_TRUE(classes.ok()) << classes.status();
  ASSERT_EQ(classes->size(), 3u);
  EXPECT_EQ((*classes)[0].name, "gold");
  EXPECT_EQ((*classes)[0].weight, 3u);
  EXPECT_EQ((*classes)[1].name, "bronze");
  EXPECT_EQ((*classes)[1].weight, 1u);
  EXPECT_EQ((*classes)[2].name, "video-hd_2.x");
  EXPECT_EQ((*classes)[2].weight, 4294967295u);
}

TEST(TrafficClassesTest, RefusesEachBadPartWithAMessage) {
  struct Case {
    const char* text;
    const char* message;
  };
  for (const Case& c : std::vector<Case>{
           {"gold", "class \"gold\" needs a name and a weight"},
           {"gold:3,bronze", "class \"bronze\" needs a name and a weight"},
           {"gold:3:1", "class \"gold:3:1\" needs a name and a weight"},
           {"gold:3,", "class \"\" needs a name and a weight"},
           {",gold:3", "class \"\" needs a name and a weight"},
           {":3", "class \":3\" has no name"},
           {"gold:0", "class \"gold:0\": the weight must be a whole number"},
           {"gold:", "class \"gold:\": the weight must be a whole number"},
           {"gold:-1", "the weight must be a whole number"},
           {"gold:+1", "the weight must be a whole number"},
           {"gold: 1", "the weight must be a whole number"},
           {"gold:1.5", "the weight must be a whole number"},
           {"gold:4294967296", "the weight must be a whole number"},
           {"gold:99999999999999999999999", "the weight must be a whole"},
           {"gold:3,gold:1", "class \"gold\" is named twice"},
           {"go ld:3", "class name \"go ld\": use letters"},
           {"g\"x:3", "use letters, digits"},
       }) {
    SCOPED_TRACE(c.text);
    absl::StatusOr<std::vector<TrafficClass>> classes =
        ParseTrafficClasses(c.text);
    ASSERT_FALSE(classes.ok());
    EXPECT_EQ(classes.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(classes.status().message()), HasSubstr(c.message));
  }
}

}  // namespace
}  // namespace sluice::load
