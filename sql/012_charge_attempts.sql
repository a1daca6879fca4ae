-- 012_charge_attempts.sql: a one-time charge's trail, like an adjustment's (issue 13 item 10).
-- Every attempt to create a charge in the PSA is kept: when, what was asked, what the PSA
-- answered (created, or found already there under the charge's key after a lost answer) or
-- its error. The failure log lists failed charges beside failed adjustments, so a charge also
-- names what it bills (the subscription of an annual charge, the resource and service of a
-- usage charge) and when its failure was mailed to the admins.
CREATE TABLE charge_attempts (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id BIGINT UNSIGNED NOT NULL,
  charge_id BIGINT UNSIGNED NOT NULL,
  at DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6),
  outcome ENUM('created','found','failed') NOT NULL,
  request_summary VARCHAR(1000) NOT NULL DEFAULT '',
  response VARCHAR(2000) NOT NULL DEFAULT '',
  error VARCHAR(1000) NULL,
  KEY ix_charge_attempts_charge (tenant_id, charge_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

ALTER TABLE charges_posted
  ADD COLUMN src_subscription_id VARCHAR(80) NULL AFTER src_connection_id,
  ADD COLUMN src_resource_id VARCHAR(80) NULL AFTER src_subscription_id,
  ADD COLUMN psa_service_id VARCHAR(32) NULL AFTER psa_contract_id,
  ADD COLUMN alerted_at DATETIME(6) NULL,
  ADD KEY ix_charges_state (tenant_id, state, created_at);

-- Charges recorded before this migration: their last outcome, as the one attempt known.
INSERT INTO charge_attempts (tenant_id, charge_id, at, outcome, request_summary, response, error)
  SELECT tenant_id, id, updated_at, IF(state = 'posted', 'created', 'failed'),
         CONCAT('charge ', charge_key, ' (', attempts, ' attempt', IF(attempts = 1, '', 's'),
                ' before attempts were kept; the last one:)'),
         IF(state = 'posted', CONCAT('charge ', COALESCE(psa_charge_id, '?'), ' in the PSA'), ''),
         IF(state = 'posted', NULL, last_error)
  FROM charges_posted;
