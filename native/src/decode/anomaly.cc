#include "decode/anomaly.h"

namespace mommy {

const char* anomaly_name(Anomaly a) {
  switch (a) {
    case Anomaly::ok: return "ok";
#define MOMMY_ANOMALY_NAME(name, cls) \
  case Anomaly::name: return #name;
    MOMMY_ANOMALIES(MOMMY_ANOMALY_NAME)
#undef MOMMY_ANOMALY_NAME
    case Anomaly::count_: break;
  }
  return "unknown";
}

const char* anomaly_class(Anomaly a) {
  switch (a) {
    case Anomaly::ok: return "ok";
#define MOMMY_ANOMALY_CLASS(name, cls) \
  case Anomaly::name: return #cls;
    MOMMY_ANOMALIES(MOMMY_ANOMALY_CLASS)
#undef MOMMY_ANOMALY_CLASS
    case Anomaly::count_: break;
  }
  return "unknown";
}

}  // namespace mommy
