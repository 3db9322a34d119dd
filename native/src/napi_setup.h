// Included first by every file that uses node-addon-api, so all of them agree
// on the N-API version and on error handling: C++ exceptions, turned into JS
// exceptions at the boundary.
#pragma once
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#ifndef NAPI_CPP_EXCEPTIONS
#define NAPI_CPP_EXCEPTIONS
#endif
#include <napi.h>
