// The one mapping from absl::Status to grpc::Status.
#ifndef ZHIKU_SERVICE_STATUS_UTIL_H_
#define ZHIKU_SERVICE_STATUS_UTIL_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace zhiku {

// Same code (the two enums share their numbering) and message.
grpc::Status ToGrpcStatus(const absl::Status& status);

// The inverse, for clients.
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace zhiku

#endif  // ZHIKU_SERVICE_STATUS_UTIL_H_
