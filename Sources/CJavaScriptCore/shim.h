// JavaScriptCore's C API from Debian's libjavascriptcoregtk-4.1-dev, plus the few symbols the
// library exports without declaring them in its public headers. BrigadeJS needs them for the
// CPU-time watchdog and the heap statistics; a test exercises both, so a library update that
// drops them fails CI loudly instead of silently losing the limits.
#include <JavaScriptCore/JavaScript.h>
#include <stdbool.h>

typedef bool (*JSShouldTerminateCallback)(JSContextRef ctx, void *context);
void JSContextGroupSetExecutionTimeLimit(JSContextGroupRef group, double limit, JSShouldTerminateCallback callback, void *context);
void JSContextGroupClearExecutionTimeLimit(JSContextGroupRef group);
JSObjectRef JSGetMemoryUsageStatistics(JSContextRef ctx);
