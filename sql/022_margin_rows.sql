-- 022_margin_rows.sql: the margin report's computed rows, per tenant (doc/margin.md 7).
--
-- The worker's figures job (db/margin.c margin_fill) computes every margin row of a tenant
-- into a new set of margin_rows (one INSERT ... SELECT at READ COMMITTED), then points
-- margin_sets at it: readers use the set margin_sets names, always complete, and only while
-- its gen is the tenant's tenant_gen.gen and its threshold the tenant's (else they compute live).
-- The set before is deleted when the next fill starts.
CREATE TABLE margin_sets (
  tenant_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  next_set BIGINT UNSIGNED NOT NULL DEFAULT 0,     -- the last set number handed to a fill
  set_no BIGINT UNSIGNED NULL,                     -- the complete set readers use
  gen BIGINT UNSIGNED NOT NULL DEFAULT 0,          -- tenant_gen.gen read before that set was computed
  threshold INT NOT NULL DEFAULT -1,               -- margin_threshold_tenths its flags are for
  rows_n INT NOT NULL DEFAULT 0,
  fill_ms INT NOT NULL DEFAULT 0,
  filled_at DATETIME(6) NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per margin report row (db/margin.h enum margin_col), its filter columns, and its
-- rank (1 ...) in each sort of the report (o_<sort key>: ORDER BY key, rid), indexed, so a page
-- of any sort and direction is an index range and the export streams in index order.
CREATE TABLE margin_rows (
  tenant_id BIGINT UNSIGNED NOT NULL,
  set_no BIGINT UNSIGNED NOT NULL,
  rid BIGINT UNSIGNED NOT NULL,
  kind TINYINT NOT NULL,
  source VARCHAR(255) NULL,
  company VARCHAR(255) NULL,
  account VARCHAR(255) NULL,
  product VARCHAR(255) NULL,
  sku VARCHAR(80) NULL,
  svc_match VARCHAR(255) NULL,
  service VARCHAR(1000) NULL,
  src_conn BIGINT UNSIGNED NOT NULL,
  psa_conn BIGINT UNSIGNED NULL,
  seats BIGINT NOT NULL,
  unit_cost BIGINT NOT NULL,
  cost_months INT NOT NULL,
  currency CHAR(3) NULL,
  units BIGINT NOT NULL,
  price BIGINT NOT NULL,
  price_months INT NOT NULL,
  w BIGINT NOT NULL,
  has_price TINYINT NOT NULL,
  rev_c BIGINT NOT NULL,
  cost_c BIGINT NOT NULL,
  pct BIGINT NULL,
  flagged TINYINT NOT NULL,
  o_source INT NOT NULL, o_company INT NOT NULL, o_account INT NOT NULL, o_product INT NOT NULL,
  o_service INT NOT NULL, o_billing INT NOT NULL, o_seats INT NOT NULL, o_unit_cost INT NOT NULL,
  o_price INT NOT NULL, o_units INT NOT NULL, o_revenue INT NOT NULL, o_cost INT NOT NULL,
  o_margin INT NOT NULL, o_margin_pct INT NOT NULL, o_flag INT NOT NULL, o_currency INT NOT NULL,
  PRIMARY KEY (tenant_id, set_no, rid),
  KEY ix_source (tenant_id, set_no, o_source), KEY ix_company (tenant_id, set_no, o_company),
  KEY ix_account (tenant_id, set_no, o_account), KEY ix_product (tenant_id, set_no, o_product),
  KEY ix_service (tenant_id, set_no, o_service), KEY ix_billing (tenant_id, set_no, o_billing),
  KEY ix_seats (tenant_id, set_no, o_seats), KEY ix_unit_cost (tenant_id, set_no, o_unit_cost),
  KEY ix_price (tenant_id, set_no, o_price), KEY ix_units (tenant_id, set_no, o_units),
  KEY ix_revenue (tenant_id, set_no, o_revenue), KEY ix_cost (tenant_id, set_no, o_cost),
  KEY ix_margin (tenant_id, set_no, o_margin), KEY ix_margin_pct (tenant_id, set_no, o_margin_pct),
  KEY ix_flag (tenant_id, set_no, o_flag), KEY ix_currency (tenant_id, set_no, o_currency)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
