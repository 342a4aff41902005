// glibc's allocator controls (mallopt), for MallocTuning in the inferwire command.
#include <malloc.h>
