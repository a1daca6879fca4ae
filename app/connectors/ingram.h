/* ingram.h: the Ingram Micro Cloud Marketplace source connector (Marketplace API). */
#ifndef BILLSYNC_CONNECTORS_INGRAM_H
#define BILLSYNC_CONNECTORS_INGRAM_H

#include "connectors/source.h"

extern const struct source_connector ingram_connector;

#endif
