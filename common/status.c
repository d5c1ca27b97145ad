#include "wren/status.h"

const char *wren_status_name(int status)
{
    switch ((wren_status)status) {
#define WREN__STATUS_NAME(name, msg) \
    case WREN_##name:                \
        return "WREN_" #name;
        WREN_STATUS_MAP(WREN__STATUS_NAME)
#undef WREN__STATUS_NAME
    case WREN_STATUS_COUNT:
        break;
    }
    return "WREN_UNKNOWN";
}

const char *wren_strerror(int status)
{
    switch ((wren_status)status) {
#define WREN__STATUS_MSG(name, msg) \
    case WREN_##name:               \
        return msg;
        WREN_STATUS_MAP(WREN__STATUS_MSG)
#undef WREN__STATUS_MSG
    case WREN_STATUS_COUNT:
        break;
    }
    return "unknown status";
}
