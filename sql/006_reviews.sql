-- 006_reviews.sql: the monthly billing review (doc/seeds.md 000): a month's distributor billing lines
-- compared with the PSA's contract services, with a person's decision per line.
-- One review per tenant and month; pull_* is the progress of "Retrieve billing lines".
CREATE TABLE billing_reviews (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id BIGINT UNSIGNED NOT NULL,
  month DATE NOT NULL,
  status ENUM('draft','approved','applied') NOT NULL DEFAULT 'draft',
  pull_state ENUM('none','queued','running','done','failed') NOT NULL DEFAULT 'none',
  pull_message VARCHAR(1000) NOT NULL DEFAULT '',
  pull_at DATETIME(6) NULL,
  created_by BIGINT UNSIGNED NULL,
  created_at DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6),
  approved_by BIGINT UNSIGNED NULL,
  approved_at DATETIME(6) NULL,
  applied_by BIGINT UNSIGNED NULL,
  applied_at DATETIME(6) NULL,
  UNIQUE KEY uq_billing_reviews_month (tenant_id, month)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per billing line a person looked at: the status computed when last shown, the
-- decision, who decided, and the ledger change the line's "update quantity" planned.
CREATE TABLE billing_review_lines (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id BIGINT UNSIGNED NOT NULL,
  review_id BIGINT UNSIGNED NOT NULL,
  src_connection_id BIGINT UNSIGNED NOT NULL,
  line_id VARCHAR(120) NOT NULL,
  status ENUM('matched','quantity_mismatch','price_mismatch','missing','unmapped') NOT NULL DEFAULT 'unmapped',
  decision ENUM('none','approve','ignore') NOT NULL DEFAULT 'none',
  note VARCHAR(500) NOT NULL DEFAULT '',
  decided_by BIGINT UNSIGNED NULL,
  decided_at DATETIME(6) NULL,
  adjustment_id BIGINT UNSIGNED NULL,
  updated_at DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6),
  UNIQUE KEY uq_billing_review_lines (tenant_id, review_id, src_connection_id, line_id),
  KEY ix_billing_review_lines_decision (tenant_id, review_id, decision)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
