/* fuzz.h: the entry point libFuzzer calls with each input (declared for -Wmissing-prototypes). */
#ifndef BILLSYNC_FUZZ_H
#define BILLSYNC_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
