-- 002_connections.sql: a tenant's connections to its PSA and its distributors.
-- settings: the non-secret fields (JSON, shown in the form); secrets: the secret fields as
-- sealed JSON (libsodium secretbox with the installation key), never shown again.
CREATE TABLE connections (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id BIGINT UNSIGNED NOT NULL,
  kind ENUM('psa','source') NOT NULL,
  system VARCHAR(32) NOT NULL,
  name VARCHAR(200) NOT NULL,
  settings TEXT NOT NULL,
  secrets TEXT NULL,
  status ENUM('untested','ok','failed') NOT NULL DEFAULT 'untested',
  status_message VARCHAR(1000) NOT NULL DEFAULT '',
  tested_at DATETIME(6) NULL,
  refreshed_at DATETIME(6) NULL,
  refresh_status ENUM('never','running','ok','failed') NOT NULL DEFAULT 'never',
  refresh_message VARCHAR(1000) NOT NULL DEFAULT '',
  created_at DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6),
  updated_at DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6),
  KEY ix_connections_tenant (tenant_id, kind, id),
  CONSTRAINT fk_connections_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
