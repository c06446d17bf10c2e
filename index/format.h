// Formatting shared by error messages across the project.
#ifndef ZHIKU_INDEX_FORMAT_H_
#define ZHIKU_INDEX_FORMAT_H_

#include <cstdint>
#include <string>

namespace zhiku {

// "70000" -> "70,000": sizes and limits in messages are read by people.
std::string WithThousands(int64_t n);

// The double to write into JSON for float32 `value`: the one closest to the
// shortest decimal that reads back (as a double, then rounded to float) as
// `value`, so that JSON writers that print doubles in their shortest form
// write "0.1", not "0.10000000149011612". Exact for non-finite values.
double Float32ForJson(float value);

}  // namespace zhiku

#endif  // ZHIKU_INDEX_FORMAT_H_
