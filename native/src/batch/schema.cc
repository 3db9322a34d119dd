#include "batch/schema.h"

namespace mommy {

const ColumnSpec kFlowColumns[kColumnCount] = {
#define MOMMY_COL_SPEC(name, type) {#name, ColumnType::type},
    MOMMY_FLOW_COLUMNS(MOMMY_COL_SPEC)
#undef MOMMY_COL_SPEC
};

const char* column_type_name(ColumnType t) {
  switch (t) {
    case ColumnType::u8: return "u8";
    case ColumnType::u16: return "u16";
    case ColumnType::u32: return "u32";
    case ColumnType::u64: return "u64";
    case ColumnType::f64: return "f64";
    case ColumnType::timestamp_us: return "timestamp_us";
    case ColumnType::utf8: return "utf8";
    case ColumnType::binary: return "binary";
  }
  return "unknown";
}

}  // namespace mommy
