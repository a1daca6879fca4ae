/* partnercenter.h: the Microsoft Partner Center (CSP) source connector. */
#ifndef BILLSYNC_CONNECTORS_PARTNERCENTER_H
#define BILLSYNC_CONNECTORS_PARTNERCENTER_H

#include "connectors/source.h"

extern const struct source_connector partnercenter_connector;

#endif
