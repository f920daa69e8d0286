// librdkafka from Debian's librdkafka-dev (compile and link time). At run time any ABI-compatible librdkafka.so.1
// works; tests load librdkafka 2.16 through LD_LIBRARY_PATH (scripts/librdkafka-dir.sh, DESIGN §8).
#include <librdkafka/rdkafka.h>
