/* ISC license. */

#include "common/log.h"

unsigned int log_verbosity = 1 ;
