// Copyright 2026 The sluice Authors.

#include "engine/errno_status.h"

#include <cerrno>
#include <cstring>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sluice::internal {
namespace {

using ::testing::HasSubstr;

TEST(ErrnoStatusTest, PeerGoneErrorsAreUnavailable) {
  for (const int err : {EPIPE, ECONNRESET, ECONNABORTED, ENOTCONN, ETIMEDOUT,
                        EHOSTUNREACH, ENETUNREACH, ENETRESET}) {
    EXPECT_TRUE(IsPeerGone(err)) << err;
    EXPECT_EQ(ErrnoStatus(err, "send", 3, 0).code(),
              absl::StatusCode::kUnavailable)
        << err;
  }
}

TEST(ErrnoStatusTest, OtherErrorsFollowAbseilsMapping) {
  EXPECT_FALSE(IsPeerGone(EBADF));
  EXPECT_EQ(ErrnoStatus(EBADF, "pread", 7, 0).code(),
            absl::ErrnoToStatusCode(EBADF));
  EXPECT_EQ(ErrnoStatus(EINVAL, "splice", 7, 0).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrnoStatus(ENOMEM, "read", 7).code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(ErrnoStatusTest, MessageNamesOperationFdOffsetAndCause) {
  const absl::Status status = ErrnoStatus(EIO, "pread", 12, 65537);
  EXPECT_THAT(status.message(), HasSubstr("pread on fd 12 at offset 65537"));
  EXPECT_THAT(status.message(), HasSubstr("errno 5"));
  EXPECT_THAT(status.message(), HasSubstr(std::strerror(EIO)));
}

TEST(ErrnoStatusTest, MessageWithoutOffsetSaysNoOffset) {
  const absl::Status status = ErrnoStatus(EBADF, "fcntl(F_GETFL)", 9);
  EXPECT_THAT(status.message(), HasSubstr("fcntl(F_GETFL) on fd 9: "));
  EXPECT_THAT(status.message(), ::testing::Not(HasSubstr("offset")));
}

}  // namespace
}  // namespace sluice::internal
