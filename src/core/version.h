#ifndef GH_CORE_VERSION_H
#define GH_CORE_VERSION_H

#define GH_VERSION "0.1.0"

#endif
