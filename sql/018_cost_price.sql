-- Issue 18: cost and price changes through the ledger, and price policies (doc/ledger.md
-- "Cost and price").
--
-- adjustments.kind: 'units' (a change of seats, every row before this migration) or 'cost' (a
-- new unit cost, and with a price policy that maintains prices a new sell price, from
-- effective_date; unit_change 0). The seat rules (one open change per service, what billsync
-- last left, drift) read 'units' rows only; a cost row has its own: one open per service.
ALTER TABLE adjustments
  ADD COLUMN kind ENUM('units','cost') NOT NULL DEFAULT 'units',
  ADD COLUMN cost_before BIGINT NULL,
  ADD COLUMN new_unit_cost BIGINT NULL,
  ADD COLUMN price_before BIGINT NULL,
  ADD COLUMN new_unit_price BIGINT NULL;

-- The distributor's unit cost billsync last planned from, per link: a cost change is a change
-- of this (a price rise, a promotion ending), never a difference with what the MSP typed in its
-- PSA. NULL: not recorded yet (the next sync records it and changes nothing).
ALTER TABLE resource_links ADD COLUMN cost_seen BIGINT NULL;
UPDATE resource_links l JOIN src_resources r ON r.tenant_id = l.tenant_id AND r.connection_id = l.src_connection_id
  AND r.source_id = l.src_resource_id
  SET l.cost_seen = r.unit_cost WHERE l.active_key = 1;

-- Price policies: the tenant's (scope 'tenant', scope_id ''), a PSA account's ('company') or a
-- PSA service's ('product'); the most specific wins. markup_bp: basis points (2500 = 25 %).
CREATE TABLE price_policies (
  tenant_id BIGINT UNSIGNED NOT NULL,
  scope ENUM('tenant','company','product') NOT NULL,
  psa_connection_id BIGINT UNSIGNED NOT NULL DEFAULT 0,
  scope_id VARCHAR(32) NOT NULL DEFAULT '',
  mode ENUM('keep','markup','srp') NOT NULL DEFAULT 'keep',
  markup_bp INT NOT NULL DEFAULT 0,
  maintain TINYINT(1) NOT NULL DEFAULT 0,
  updated_by BIGINT UNSIGNED NULL,
  updated_at DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6),
  PRIMARY KEY (tenant_id, scope, psa_connection_id, scope_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
