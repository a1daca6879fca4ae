-- 007_charges.sql: one-time charges billsync created in the PSA (annual subscriptions, monthly
-- usage). The UNIQUE key (tenant, charge_key) means a charge is created once, whatever runs
-- twice; the charge carries the same key in the PSA, so a lost answer is found, not repeated.
CREATE TABLE charges_posted (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id BIGINT UNSIGNED NOT NULL,
  kind ENUM('annual','usage') NOT NULL,
  charge_key VARCHAR(191) NOT NULL,
  src_connection_id BIGINT UNSIGNED NOT NULL,
  psa_connection_id BIGINT UNSIGNED NOT NULL,
  psa_contract_id VARCHAR(32) NOT NULL,
  psa_charge_id VARCHAR(32) NULL,
  description VARCHAR(255) NOT NULL DEFAULT '',
  charge_date DATE NOT NULL,
  quantity BIGINT NOT NULL DEFAULT 0,
  unit_price BIGINT NOT NULL DEFAULT 0,
  unit_cost BIGINT NOT NULL DEFAULT 0,
  state ENUM('posted','failed') NOT NULL,
  last_error VARCHAR(1000) NULL,
  attempts INT NOT NULL DEFAULT 0,
  created_at DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6),
  updated_at DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6),
  UNIQUE KEY uq_charges_key (tenant_id, charge_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
