-- 004_links_ledger.sql: the mapping (links, with history) and the adjustment ledger.
-- A link is active while unlinked_at IS NULL; active_key is 1 then and NULL after, so the
-- UNIQUE key allows one active link per source object and any number of past ones.

CREATE TABLE company_links (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id BIGINT UNSIGNED NOT NULL,
  src_connection_id BIGINT UNSIGNED NOT NULL,
  src_company_id VARCHAR(80) NOT NULL,
  psa_connection_id BIGINT UNSIGNED NOT NULL,
  psa_company_id VARCHAR(32) NOT NULL,
  linked_by BIGINT UNSIGNED NULL,
  linked_at DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6),
  unlinked_by BIGINT UNSIGNED NULL,
  unlinked_at DATETIME(6) NULL,
  active_key TINYINT NULL DEFAULT 1,
  UNIQUE KEY uq_company_links_active (tenant_id, src_connection_id, src_company_id, active_key),
  KEY ix_company_links_psa (tenant_id, psa_connection_id, psa_company_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE subscription_links (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id BIGINT UNSIGNED NOT NULL,
  src_connection_id BIGINT UNSIGNED NOT NULL,
  src_subscription_id VARCHAR(80) NOT NULL,
  psa_connection_id BIGINT UNSIGNED NOT NULL,
  psa_contract_id VARCHAR(32) NOT NULL,
  linked_by BIGINT UNSIGNED NULL,
  linked_at DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6),
  unlinked_by BIGINT UNSIGNED NULL,
  unlinked_at DATETIME(6) NULL,
  active_key TINYINT NULL DEFAULT 1,
  UNIQUE KEY uq_subscription_links_active (tenant_id, src_connection_id, src_subscription_id, active_key),
  KEY ix_subscription_links_psa (tenant_id, psa_connection_id, psa_contract_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- approval: inherit the tenant's policy, or force auto / approval for this link.
-- last_posted_units: what billsync last left in the PSA (drift = the PSA differs from it).
CREATE TABLE resource_links (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id BIGINT UNSIGNED NOT NULL,
  src_connection_id BIGINT UNSIGNED NOT NULL,
  src_resource_id VARCHAR(80) NOT NULL,
  psa_connection_id BIGINT UNSIGNED NOT NULL,
  psa_contract_id VARCHAR(32) NOT NULL,
  psa_service_id VARCHAR(32) NOT NULL,
  approval ENUM('inherit','auto','require') NOT NULL DEFAULT 'inherit',
  last_posted_units BIGINT NULL,
  linked_by BIGINT UNSIGNED NULL,
  linked_at DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6),
  unlinked_by BIGINT UNSIGNED NULL,
  unlinked_at DATETIME(6) NULL,
  active_key TINYINT NULL DEFAULT 1,
  version INT NOT NULL DEFAULT 0,
  UNIQUE KEY uq_resource_links_active (tenant_id, src_connection_id, src_resource_id, active_key),
  KEY ix_resource_links_psa (tenant_id, psa_connection_id, psa_contract_id, psa_service_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Tenant billing policy (doc/design.md 4): approval, decrease dating, drift, usage mode.
CREATE TABLE tenant_policies (
  tenant_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  approval ENUM('auto','require') NOT NULL DEFAULT 'auto',
  decrease_mode ENUM('next_period','immediate') NOT NULL DEFAULT 'next_period',
  drift_mode ENUM('flag','overwrite') NOT NULL DEFAULT 'flag',
  usage_mode ENUM('average_cost','total_cost','quantity_only') NOT NULL DEFAULT 'average_cost',
  alert_after_minutes INT NOT NULL DEFAULT 240,
  sync_interval_minutes INT NOT NULL DEFAULT 15,
  updated_at DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The adjustment ledger. One row per intended change of units on a linked PSA service;
-- idempotency_key (link, effective date, origin) makes planning the same change twice a no-op.
CREATE TABLE adjustments (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id BIGINT UNSIGNED NOT NULL,
  resource_link_id BIGINT UNSIGNED NOT NULL,
  origin ENUM('link','sync','review') NOT NULL,
  src_connection_id BIGINT UNSIGNED NOT NULL,
  src_resource_id VARCHAR(80) NOT NULL,
  psa_connection_id BIGINT UNSIGNED NOT NULL,
  psa_contract_id VARCHAR(32) NOT NULL,
  psa_service_id VARCHAR(32) NOT NULL,
  desired_units BIGINT NOT NULL,
  psa_units_before BIGINT NOT NULL,
  unit_change BIGINT NOT NULL,
  effective_date DATE NOT NULL,
  unit_price BIGINT NOT NULL DEFAULT 0,
  prorated_amount BIGINT NOT NULL DEFAULT 0,
  state ENUM('planned','awaiting_approval','queued','posted','verified','failed','rejected','superseded')
    NOT NULL DEFAULT 'planned',
  attempts INT NOT NULL DEFAULT 0,
  next_attempt_at DATETIME(6) NULL,
  last_error VARCHAR(1000) NULL,
  psa_ref VARCHAR(64) NULL,
  idempotency_key VARCHAR(191) NOT NULL,
  decided_by BIGINT UNSIGNED NULL,
  decided_at DATETIME(6) NULL,
  decision_note VARCHAR(500) NULL,
  created_at DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6),
  updated_at DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6),
  UNIQUE KEY uq_adjustments_key (tenant_id, idempotency_key),
  KEY ix_adjustments_state (tenant_id, state, next_attempt_at),
  KEY ix_adjustments_created (tenant_id, created_at),
  KEY ix_adjustments_link (tenant_id, resource_link_id, state)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE adjustment_attempts (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id BIGINT UNSIGNED NOT NULL,
  adjustment_id BIGINT UNSIGNED NOT NULL,
  at DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6),
  outcome ENUM('posted','verified','failed','nothing_to_do') NOT NULL,
  request_summary VARCHAR(1000) NOT NULL DEFAULT '',
  response VARCHAR(2000) NOT NULL DEFAULT '',
  error VARCHAR(1000) NULL,
  KEY ix_attempts_adjustment (tenant_id, adjustment_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
