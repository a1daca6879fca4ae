-- 003_snapshots.sql: what billsync last read from each distributor (source snapshot) and from
-- the PSA (PSA cache). Rows are upserted by (tenant, connection, remote id); an object missing
-- from a complete pull is marked gone, never deleted (links and history point at it).
-- Money is BIGINT in 1/10000 of the currency unit; quantities BIGINT in 1/1000 units.

CREATE TABLE src_companies (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id BIGINT UNSIGNED NOT NULL,
  connection_id BIGINT UNSIGNED NOT NULL,
  source_id VARCHAR(80) NOT NULL,
  name VARCHAR(255) NOT NULL,
  gone TINYINT(1) NOT NULL DEFAULT 0,
  first_seen DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6),
  last_seen DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6),
  UNIQUE KEY uq_src_companies (tenant_id, connection_id, source_id),
  KEY ix_src_companies_name (tenant_id, name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE src_subscriptions (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id BIGINT UNSIGNED NOT NULL,
  connection_id BIGINT UNSIGNED NOT NULL,
  source_id VARCHAR(80) NOT NULL,
  company_source_id VARCHAR(80) NOT NULL,
  name VARCHAR(255) NOT NULL,
  status ENUM('active','suspended','cancelled','pending') NOT NULL DEFAULT 'active',
  billing_cycle ENUM('monthly','annual','one_time','usage') NOT NULL DEFAULT 'monthly',
  term_months INT NOT NULL DEFAULT 0,
  commitment_end DATE NULL,
  auto_renew TINYINT(1) NOT NULL DEFAULT 0,
  gone TINYINT(1) NOT NULL DEFAULT 0,
  first_seen DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6),
  last_seen DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6),
  UNIQUE KEY uq_src_subscriptions (tenant_id, connection_id, source_id),
  KEY ix_src_subscriptions_company (tenant_id, connection_id, company_source_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE src_resources (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id BIGINT UNSIGNED NOT NULL,
  connection_id BIGINT UNSIGNED NOT NULL,
  source_id VARCHAR(80) NOT NULL,
  subscription_source_id VARCHAR(80) NOT NULL,
  company_source_id VARCHAR(80) NOT NULL,
  name VARCHAR(255) NOT NULL,
  sku VARCHAR(80) NOT NULL DEFAULT '',
  quantity BIGINT NOT NULL DEFAULT 0,
  unit_cost BIGINT NOT NULL DEFAULT 0,
  unit_price BIGINT NOT NULL DEFAULT 0,
  currency CHAR(3) NOT NULL DEFAULT 'USD',
  billing_cycle ENUM('monthly','annual','one_time','usage') NOT NULL DEFAULT 'monthly',
  term_months INT NOT NULL DEFAULT 0,
  commitment_end DATE NULL,
  status ENUM('active','suspended','cancelled','pending') NOT NULL DEFAULT 'active',
  gone TINYINT(1) NOT NULL DEFAULT 0,
  first_seen DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6),
  last_seen DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6),
  UNIQUE KEY uq_src_resources (tenant_id, connection_id, source_id),
  KEY ix_src_resources_sub (tenant_id, connection_id, subscription_source_id),
  KEY ix_src_resources_company (tenant_id, connection_id, company_source_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A month's billing lines as the distributor billed the MSP (usage lines included, with
-- charge_type 'usage'). period_month is the first day of the month the period starts in.
CREATE TABLE src_charges (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id BIGINT UNSIGNED NOT NULL,
  connection_id BIGINT UNSIGNED NOT NULL,
  line_id VARCHAR(120) NOT NULL,
  period_month DATE NOT NULL,
  company_source_id VARCHAR(80) NOT NULL,
  company_name VARCHAR(255) NOT NULL DEFAULT '',
  subscription_source_id VARCHAR(80) NOT NULL DEFAULT '',
  subscription_name VARCHAR(255) NOT NULL DEFAULT '',
  resource_source_id VARCHAR(80) NOT NULL DEFAULT '',
  description VARCHAR(255) NOT NULL DEFAULT '',
  sku VARCHAR(80) NOT NULL DEFAULT '',
  charge_type ENUM('recurring','one_time','usage','proration','refund') NOT NULL,
  period_start DATE NOT NULL,
  period_end DATE NOT NULL,
  effective_date DATE NULL,
  quantity BIGINT NOT NULL DEFAULT 0,
  unit_cost BIGINT NOT NULL DEFAULT 0,
  unit_price BIGINT NOT NULL DEFAULT 0,
  extended_cost BIGINT NOT NULL DEFAULT 0,
  extended_price BIGINT NOT NULL DEFAULT 0,
  currency CHAR(3) NOT NULL DEFAULT 'USD',
  term_months INT NOT NULL DEFAULT 0,
  frequency ENUM('monthly','annual','one_time','usage') NOT NULL DEFAULT 'monthly',
  imported_at DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6),
  UNIQUE KEY uq_src_charges (tenant_id, connection_id, line_id),
  KEY ix_src_charges_month (tenant_id, period_month, connection_id),
  KEY ix_src_charges_resource (tenant_id, connection_id, resource_source_id, charge_type, effective_date)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Uploaded CSV files (recon or generic distributor CSV) and how their import went.
CREATE TABLE csv_imports (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id BIGINT UNSIGNED NOT NULL,
  connection_id BIGINT UNSIGNED NOT NULL,
  user_id BIGINT UNSIGNED NULL,
  file_name VARCHAR(255) NOT NULL,
  format VARCHAR(16) NOT NULL,
  status ENUM('imported','refused') NOT NULL,
  rows_total INT NOT NULL DEFAULT 0,
  message VARCHAR(1000) NOT NULL DEFAULT '',
  created_at DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6),
  KEY ix_csv_imports_tenant (tenant_id, connection_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE psa_companies (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id BIGINT UNSIGNED NOT NULL,
  connection_id BIGINT UNSIGNED NOT NULL,
  psa_id VARCHAR(32) NOT NULL,
  name VARCHAR(255) NOT NULL,
  active TINYINT(1) NOT NULL DEFAULT 1,
  gone TINYINT(1) NOT NULL DEFAULT 0,
  last_seen DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6),
  UNIQUE KEY uq_psa_companies (tenant_id, connection_id, psa_id),
  KEY ix_psa_companies_name (tenant_id, name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE psa_contracts (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id BIGINT UNSIGNED NOT NULL,
  connection_id BIGINT UNSIGNED NOT NULL,
  psa_id VARCHAR(32) NOT NULL,
  company_psa_id VARCHAR(32) NOT NULL,
  name VARCHAR(255) NOT NULL,
  contract_type ENUM('recurring','fixed_price','one_time','other') NOT NULL,
  start_date DATE NULL,
  end_date DATE NULL,
  billing_start DATE NULL,
  active TINYINT(1) NOT NULL DEFAULT 1,
  prorate TINYINT(1) NOT NULL DEFAULT 1,
  cycle_months INT NOT NULL DEFAULT 1,
  gone TINYINT(1) NOT NULL DEFAULT 0,
  last_seen DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6),
  UNIQUE KEY uq_psa_contracts (tenant_id, connection_id, psa_id),
  KEY ix_psa_contracts_company (tenant_id, connection_id, company_psa_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE psa_services (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id BIGINT UNSIGNED NOT NULL,
  connection_id BIGINT UNSIGNED NOT NULL,
  psa_id VARCHAR(32) NOT NULL,
  name VARCHAR(255) NOT NULL,
  sku VARCHAR(80) NOT NULL DEFAULT '',
  unit_price BIGINT NOT NULL DEFAULT 0,
  unit_cost BIGINT NOT NULL DEFAULT 0,
  active TINYINT(1) NOT NULL DEFAULT 1,
  gone TINYINT(1) NOT NULL DEFAULT 0,
  last_seen DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6),
  UNIQUE KEY uq_psa_services (tenant_id, connection_id, psa_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE psa_contract_services (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id BIGINT UNSIGNED NOT NULL,
  connection_id BIGINT UNSIGNED NOT NULL,
  psa_id VARCHAR(32) NOT NULL,
  contract_psa_id VARCHAR(32) NOT NULL,
  service_psa_id VARCHAR(32) NOT NULL,
  name VARCHAR(255) NOT NULL DEFAULT '',
  units BIGINT NOT NULL DEFAULT 0,
  unit_price BIGINT NOT NULL DEFAULT 0,
  unit_cost BIGINT NOT NULL DEFAULT 0,
  read_at DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6),
  gone TINYINT(1) NOT NULL DEFAULT 0,
  UNIQUE KEY uq_psa_contract_services (tenant_id, connection_id, psa_id),
  KEY ix_psa_cs_contract (tenant_id, connection_id, contract_psa_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
