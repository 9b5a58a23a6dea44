/* Shadow header: the user-space API as relaysim provides it (kernel/shim/rs_user.h). */
#include "rs_user.h"
