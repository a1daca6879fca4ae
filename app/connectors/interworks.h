/* interworks.h: the interworks.cloud BSS source connector (Platform API 3 or 2.2). */
#ifndef BILLSYNC_CONNECTORS_INTERWORKS_H
#define BILLSYNC_CONNECTORS_INTERWORKS_H

#include "connectors/source.h"

extern const struct source_connector interworks_connector;

#endif
