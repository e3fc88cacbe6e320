// Copyright 2026 The sluice Authors.
//
// Every tool's manual page, man/<tool>.1, documents exactly the flags the
// tool's --help lists, has the usual sections, and renders without a groff
// warning. The tools and pages come from man/meson.build, through
//   SLUICE_MAN_TOOLS  the tools' paths, ':'-separated;
//   SLUICE_MAN_DIR    the folder of the pages (man/ in the source tree);
//   SLUICE_GROFF      groff, if meson found it (the render check skips
//                     otherwise).
//
// What counts as documenting a flag, on each side:
// - --help: a line "    --name (description..." (abseil's format: four
//   spaces, the name with '_', the description in parentheses; its
//   continuation lines are indented by six). tools::ListFlagsOfFile() makes
//   --help list the flags of the tool's main.cc.
// - the page: a paragraph of its OPTIONS section whose .TP tag line starts
//   ".B \-\-name" or ".BI \-\-name" (".BR" too), the name spelled with
//   '\-' between words as users type it (--object-size; the tools take '-'
//   and '_' alike). A flag only mentioned in running text is not documented.
// abseil's own --help and --helpfull may be documented without --help
// listing them.

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "tests/testing/subprocess.h"

namespace sluice {
namespace {

using ::sluice::testing::ProcessResult;
using ::sluice::testing::RunProcess;

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

std::vector<std::string> Tools() {
  return absl::StrSplit(Env("SLUICE_MAN_TOOLS"), ':', absl::SkipEmpty());
}

std::string ToolName(const std::string& path) {
  return path.substr(path.rfind('/') + 1);
}

std::string PagePath(const std::string& tool) {
  return absl::StrCat(Env("SLUICE_MAN_DIR"), "/", ToolName(tool), ".1");
}

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n');
}

// The flag names --help lists, with '_' between words. (No std::regex: GCC
// 12 warns inside libstdc++'s regex under -O2 with the sanitizers.)
std::set<std::string> HelpFlags(const std::string& help) {
  std::set<std::string> flags;
  for (absl::string_view line : Lines(help)) {
    if (!absl::ConsumePrefix(&line, "    --")) continue;
    const size_t end = line.find_first_not_of(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");
    if (end == 0 || end == absl::string_view::npos ||
        !absl::StartsWith(line.substr(end), " (")) {
      continue;
    }
    flags.insert(std::string(line.substr(0, end)));
  }
  return flags;
}

// The lines of the page's section `name` (".SH name" up to the next .SH).
std::vector<std::string> Section(const std::string& page,
                                 const std::string& name) {
  std::vector<std::string> lines;
  bool inside = false;
  for (const std::string& line : Lines(page)) {
    if (absl::StartsWith(line, ".SH ")) {
      std::string title = line.substr(4);
      absl::StrReplaceAll({{"\"", ""}}, &title);
      inside = title == name;
      continue;
    }
    if (inside) lines.push_back(line);
  }
  return lines;
}

// The flag names the page's OPTIONS section documents, with '_' between
// words as --help prints them.
std::set<std::string> PageFlags(const std::string& page) {
  const std::vector<std::string> lines = Section(page, "OPTIONS");
  std::set<std::string> flags;
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    if (lines[i] != ".TP") continue;
    // ".B", ".BI" or ".BR", blanks, then "\-\-name" with '\-' inside.
    absl::string_view tag = lines[i + 1];
    if (!absl::ConsumePrefix(&tag, ".BI") &&
        !absl::ConsumePrefix(&tag, ".BR") && !absl::ConsumePrefix(&tag, ".B")) {
      continue;
    }
    if (tag.empty() || (tag[0] != ' ' && tag[0] != '\t')) continue;
    tag = absl::StripLeadingAsciiWhitespace(tag);
    if (!absl::ConsumePrefix(&tag, "\\-\\-")) continue;
    std::string name;
    while (!tag.empty()) {
      if (absl::ConsumePrefix(&tag, "\\-")) {
        name += '_';
      } else if (absl::ascii_islower(tag[0]) || absl::ascii_isdigit(tag[0]) ||
                 tag[0] == '_') {
        name += tag[0];
        tag.remove_prefix(1);
      } else {
        break;
      }
    }
    if (!name.empty()) flags.insert(name);
  }
  return flags;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class ManPageTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    page_ = ReadFile(PagePath(GetParam()));
    ASSERT_FALSE(page_.empty()) << "no manual page " << PagePath(GetParam());
  }
  std::string page_;
};

TEST_P(ManPageTest, DocumentsEveryFlagHelpLists) {
  const ProcessResult r = RunProcess({GetParam(), "--help"}, absl::Seconds(30));
  const std::set<std::string> help = HelpFlags(r.out);
  ASSERT_FALSE(help.empty()) << ToolName(GetParam())
                             << " --help lists no flags (does its main() call "
                                "tools::ListFlagsOfFile()?):\n"
                             << r.out << r.err;
  const std::set<std::string> page = PageFlags(page_);
  std::vector<std::string> undocumented;
  for (const std::string& flag : help) {
    if (!page.contains(flag)) undocumented.push_back(flag);
  }
  std::vector<std::string> unknown;
  for (const std::string& flag : page) {
    if (!help.contains(flag) && flag != "help" && flag != "helpfull") {
      unknown.push_back(flag);
    }
  }
  EXPECT_TRUE(undocumented.empty())
      << PagePath(GetParam()) << " lacks an OPTIONS entry (.TP, then "
      << "\".B \\-\\-name\" or \".BI \\-\\-name\") for what --help lists: --"
      << absl::StrJoin(undocumented, ", --");
  EXPECT_TRUE(unknown.empty())
      << PagePath(GetParam()) << " documents flags " << ToolName(GetParam())
      << " --help does not list: --" << absl::StrJoin(unknown, ", --");
}

TEST_P(ManPageTest, HasTheUsualSections) {
  for (const char* section : {"NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS",
                              "EXIT STATUS", "EXAMPLES", "SEE ALSO"}) {
    EXPECT_FALSE(Section(page_, section).empty())
        << PagePath(GetParam()) << " has no " << section << " section";
  }
  const std::vector<std::string> name = Section(page_, "NAME");
  ASSERT_FALSE(name.empty());
  EXPECT_TRUE(absl::StartsWith(absl::StrReplaceAll(name[0], {{"\\-", "-"}}),
                               absl::StrCat(ToolName(GetParam()), " - ")))
      << "the NAME line should read \"" << ToolName(GetParam())
      << " \\- what it does\": " << name[0];
}

TEST_P(ManPageTest, RendersWithoutWarnings) {
  const std::string groff = Env("SLUICE_GROFF");
  if (groff.empty()) {
    GTEST_SKIP() << "groff was not found when the build was configured "
                    "(Debian: groff-base)";
  }
  // -ww: every warning; -z: format, print nothing.
  const ProcessResult r =
      RunProcess({groff, "-man", "-Tutf8", "-ww", "-z", PagePath(GetParam())},
                 absl::Seconds(30));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "") << PagePath(GetParam());
}

INSTANTIATE_TEST_SUITE_P(
    Tools, ManPageTest, ::testing::ValuesIn(Tools()),
    [](const ::testing::TestParamInfo<std::string>& info) {
      return absl::StrReplaceAll(ToolName(info.param), {{"-", "_"}});
    });
// SLUICE_MAN_TOOLS is set by meson; run by hand without it, nothing runs.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ManPageTest);

}  // namespace
}  // namespace sluice
