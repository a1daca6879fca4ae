/* pax8.h: the Pax8 Partner API source connector. */
#ifndef BILLSYNC_CONNECTORS_PAX8_H
#define BILLSYNC_CONNECTORS_PAX8_H

#include "connectors/source.h"

extern const struct source_connector pax8_connector;

#endif
