#include "CRunnerSupport.h"
