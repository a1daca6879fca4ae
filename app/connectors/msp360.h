/* msp360.h: the MSP360 Managed Backup source connector (storage usage). */
#ifndef BILLSYNC_CONNECTORS_MSP360_H
#define BILLSYNC_CONNECTORS_MSP360_H

#include "connectors/source.h"

extern const struct source_connector msp360_connector;

#endif
