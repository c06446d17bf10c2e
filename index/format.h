// Formatting shared by error messages across the project.
#ifndef ZHIKU_INDEX_FORMAT_H_
#define ZHIKU_INDEX_FORMAT_H_

#include <cstdint>
#include <string>

namespace zhiku {

// "70000" -> "70,000": sizes and limits in messages are read by people.
std::string WithThousands(int64_t n);

}  // namespace zhiku

#endif  // ZHIKU_INDEX_FORMAT_H_
