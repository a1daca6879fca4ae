-- CSV imports of any size (issue 11): the upload is checked in the web request, stored in
-- csv_upload_chunks and imported by a worker job. The worker stages the parsed rows in
-- csv_import_rows in short batches (no long transaction, no lock held), then makes them
-- visible in one READ COMMITTED transaction (INSERT ... SELECT into src_charges, derive,
-- status 'imported'), whose reads lock nothing. Staged rows and chunks are deleted after.
ALTER TABLE csv_imports
  MODIFY status ENUM('queued','staging','applying','imported','refused','failed') NOT NULL,
  ADD COLUMN rows_done INT NOT NULL DEFAULT 0 AFTER rows_total,
  ADD COLUMN updated_at DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6);

CREATE TABLE csv_upload_chunks (
  tenant_id BIGINT UNSIGNED NOT NULL,
  import_id BIGINT UNSIGNED NOT NULL,
  seq INT NOT NULL,
  data MEDIUMBLOB NOT NULL,
  PRIMARY KEY (tenant_id, import_id, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE csv_import_rows (
  tenant_id BIGINT UNSIGNED NOT NULL,
  import_id BIGINT UNSIGNED NOT NULL,
  row_no INT NOT NULL,
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
  PRIMARY KEY (tenant_id, import_id, row_no)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
