-- 014_tenant_cache.sql: results of a tenant's expensive aggregates (the dashboard's and the
-- checklist's figures, the subscription reports' counts, totals and charts), kept until the
-- data behind them changes (db/tenant_cache.c; doc/volume.md).
--
-- tenant_gen counts the changes of a tenant's source, link and PSA-cache rows: every insert,
-- update and delete of those tables bumps it in the same transaction (triggers below, so no
-- write path, a test's or an operator's SQL included, can forget it). A cached result names
-- the generation it was computed at (with the verified ledger's per-day counters and the day
-- it is for) and is used only while they are unchanged. The ledger's own bookkeeping on a
-- resource link (last_posted_units, version) and its approval setting change no figure: they
-- do not bump it, so a posting transaction never waits for the tenant's generation row.
CREATE TABLE tenant_gen (
  tenant_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  gen BIGINT UNSIGNED NOT NULL DEFAULT 0
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE tenant_cache (
  tenant_id BIGINT UNSIGNED NOT NULL,
  k VARCHAR(100) NOT NULL,
  fp VARCHAR(120) NOT NULL,
  v MEDIUMTEXT NOT NULL,
  computed_at DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6),
  PRIMARY KEY (tenant_id, k)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;


CREATE TRIGGER connections_gen_insert AFTER INSERT ON connections FOR EACH ROW
  INSERT INTO tenant_gen (tenant_id, gen) VALUES (NEW.tenant_id, 1) ON DUPLICATE KEY UPDATE gen = gen + 1;
CREATE TRIGGER connections_gen_update AFTER UPDATE ON connections FOR EACH ROW
  INSERT INTO tenant_gen (tenant_id, gen) VALUES (NEW.tenant_id, 1) ON DUPLICATE KEY UPDATE gen = gen + 1;
CREATE TRIGGER connections_gen_delete AFTER DELETE ON connections FOR EACH ROW
  INSERT INTO tenant_gen (tenant_id, gen) VALUES (OLD.tenant_id, 1) ON DUPLICATE KEY UPDATE gen = gen + 1;

CREATE TRIGGER src_companies_gen_insert AFTER INSERT ON src_companies FOR EACH ROW
  INSERT INTO tenant_gen (tenant_id, gen) VALUES (NEW.tenant_id, 1) ON DUPLICATE KEY UPDATE gen = gen + 1;
CREATE TRIGGER src_companies_gen_update AFTER UPDATE ON src_companies FOR EACH ROW
  INSERT INTO tenant_gen (tenant_id, gen) VALUES (NEW.tenant_id, 1) ON DUPLICATE KEY UPDATE gen = gen + 1;
CREATE TRIGGER src_companies_gen_delete AFTER DELETE ON src_companies FOR EACH ROW
  INSERT INTO tenant_gen (tenant_id, gen) VALUES (OLD.tenant_id, 1) ON DUPLICATE KEY UPDATE gen = gen + 1;

CREATE TRIGGER src_subscriptions_gen_insert AFTER INSERT ON src_subscriptions FOR EACH ROW
  INSERT INTO tenant_gen (tenant_id, gen) VALUES (NEW.tenant_id, 1) ON DUPLICATE KEY UPDATE gen = gen + 1;
CREATE TRIGGER src_subscriptions_gen_update AFTER UPDATE ON src_subscriptions FOR EACH ROW
  INSERT INTO tenant_gen (tenant_id, gen) VALUES (NEW.tenant_id, 1) ON DUPLICATE KEY UPDATE gen = gen + 1;
CREATE TRIGGER src_subscriptions_gen_delete AFTER DELETE ON src_subscriptions FOR EACH ROW
  INSERT INTO tenant_gen (tenant_id, gen) VALUES (OLD.tenant_id, 1) ON DUPLICATE KEY UPDATE gen = gen + 1;

CREATE TRIGGER src_resources_gen_insert AFTER INSERT ON src_resources FOR EACH ROW
  INSERT INTO tenant_gen (tenant_id, gen) VALUES (NEW.tenant_id, 1) ON DUPLICATE KEY UPDATE gen = gen + 1;
CREATE TRIGGER src_resources_gen_update AFTER UPDATE ON src_resources FOR EACH ROW
  INSERT INTO tenant_gen (tenant_id, gen) VALUES (NEW.tenant_id, 1) ON DUPLICATE KEY UPDATE gen = gen + 1;
CREATE TRIGGER src_resources_gen_delete AFTER DELETE ON src_resources FOR EACH ROW
  INSERT INTO tenant_gen (tenant_id, gen) VALUES (OLD.tenant_id, 1) ON DUPLICATE KEY UPDATE gen = gen + 1;

CREATE TRIGGER company_links_gen_insert AFTER INSERT ON company_links FOR EACH ROW
  INSERT INTO tenant_gen (tenant_id, gen) VALUES (NEW.tenant_id, 1) ON DUPLICATE KEY UPDATE gen = gen + 1;
CREATE TRIGGER company_links_gen_update AFTER UPDATE ON company_links FOR EACH ROW
  INSERT INTO tenant_gen (tenant_id, gen) VALUES (NEW.tenant_id, 1) ON DUPLICATE KEY UPDATE gen = gen + 1;
CREATE TRIGGER company_links_gen_delete AFTER DELETE ON company_links FOR EACH ROW
  INSERT INTO tenant_gen (tenant_id, gen) VALUES (OLD.tenant_id, 1) ON DUPLICATE KEY UPDATE gen = gen + 1;

CREATE TRIGGER subscription_links_gen_insert AFTER INSERT ON subscription_links FOR EACH ROW
  INSERT INTO tenant_gen (tenant_id, gen) VALUES (NEW.tenant_id, 1) ON DUPLICATE KEY UPDATE gen = gen + 1;
CREATE TRIGGER subscription_links_gen_update AFTER UPDATE ON subscription_links FOR EACH ROW
  INSERT INTO tenant_gen (tenant_id, gen) VALUES (NEW.tenant_id, 1) ON DUPLICATE KEY UPDATE gen = gen + 1;
CREATE TRIGGER subscription_links_gen_delete AFTER DELETE ON subscription_links FOR EACH ROW
  INSERT INTO tenant_gen (tenant_id, gen) VALUES (OLD.tenant_id, 1) ON DUPLICATE KEY UPDATE gen = gen + 1;

CREATE TRIGGER resource_links_gen_insert AFTER INSERT ON resource_links FOR EACH ROW
  INSERT INTO tenant_gen (tenant_id, gen) VALUES (NEW.tenant_id, 1) ON DUPLICATE KEY UPDATE gen = gen + 1;
CREATE TRIGGER resource_links_gen_update AFTER UPDATE ON resource_links FOR EACH ROW
BEGIN
  IF NOT (OLD.tenant_id <=> NEW.tenant_id AND OLD.active_key <=> NEW.active_key
          AND OLD.src_connection_id <=> NEW.src_connection_id AND OLD.src_resource_id <=> NEW.src_resource_id
          AND OLD.psa_connection_id <=> NEW.psa_connection_id AND OLD.psa_contract_id <=> NEW.psa_contract_id
          AND OLD.psa_service_id <=> NEW.psa_service_id) THEN
    INSERT INTO tenant_gen (tenant_id, gen) VALUES (NEW.tenant_id, 1) ON DUPLICATE KEY UPDATE gen = gen + 1;
  END IF;
END;
CREATE TRIGGER resource_links_gen_delete AFTER DELETE ON resource_links FOR EACH ROW
  INSERT INTO tenant_gen (tenant_id, gen) VALUES (OLD.tenant_id, 1) ON DUPLICATE KEY UPDATE gen = gen + 1;

CREATE TRIGGER psa_companies_gen_insert AFTER INSERT ON psa_companies FOR EACH ROW
  INSERT INTO tenant_gen (tenant_id, gen) VALUES (NEW.tenant_id, 1) ON DUPLICATE KEY UPDATE gen = gen + 1;
CREATE TRIGGER psa_companies_gen_update AFTER UPDATE ON psa_companies FOR EACH ROW
  INSERT INTO tenant_gen (tenant_id, gen) VALUES (NEW.tenant_id, 1) ON DUPLICATE KEY UPDATE gen = gen + 1;
CREATE TRIGGER psa_companies_gen_delete AFTER DELETE ON psa_companies FOR EACH ROW
  INSERT INTO tenant_gen (tenant_id, gen) VALUES (OLD.tenant_id, 1) ON DUPLICATE KEY UPDATE gen = gen + 1;

CREATE TRIGGER psa_contracts_gen_insert AFTER INSERT ON psa_contracts FOR EACH ROW
  INSERT INTO tenant_gen (tenant_id, gen) VALUES (NEW.tenant_id, 1) ON DUPLICATE KEY UPDATE gen = gen + 1;
CREATE TRIGGER psa_contracts_gen_update AFTER UPDATE ON psa_contracts FOR EACH ROW
  INSERT INTO tenant_gen (tenant_id, gen) VALUES (NEW.tenant_id, 1) ON DUPLICATE KEY UPDATE gen = gen + 1;
CREATE TRIGGER psa_contracts_gen_delete AFTER DELETE ON psa_contracts FOR EACH ROW
  INSERT INTO tenant_gen (tenant_id, gen) VALUES (OLD.tenant_id, 1) ON DUPLICATE KEY UPDATE gen = gen + 1;

CREATE TRIGGER psa_services_gen_insert AFTER INSERT ON psa_services FOR EACH ROW
  INSERT INTO tenant_gen (tenant_id, gen) VALUES (NEW.tenant_id, 1) ON DUPLICATE KEY UPDATE gen = gen + 1;
CREATE TRIGGER psa_services_gen_update AFTER UPDATE ON psa_services FOR EACH ROW
  INSERT INTO tenant_gen (tenant_id, gen) VALUES (NEW.tenant_id, 1) ON DUPLICATE KEY UPDATE gen = gen + 1;
CREATE TRIGGER psa_services_gen_delete AFTER DELETE ON psa_services FOR EACH ROW
  INSERT INTO tenant_gen (tenant_id, gen) VALUES (OLD.tenant_id, 1) ON DUPLICATE KEY UPDATE gen = gen + 1;

CREATE TRIGGER psa_contract_services_gen_insert AFTER INSERT ON psa_contract_services FOR EACH ROW
  INSERT INTO tenant_gen (tenant_id, gen) VALUES (NEW.tenant_id, 1) ON DUPLICATE KEY UPDATE gen = gen + 1;
CREATE TRIGGER psa_contract_services_gen_update AFTER UPDATE ON psa_contract_services FOR EACH ROW
  INSERT INTO tenant_gen (tenant_id, gen) VALUES (NEW.tenant_id, 1) ON DUPLICATE KEY UPDATE gen = gen + 1;
CREATE TRIGGER psa_contract_services_gen_delete AFTER DELETE ON psa_contract_services FOR EACH ROW
  INSERT INTO tenant_gen (tenant_id, gen) VALUES (OLD.tenant_id, 1) ON DUPLICATE KEY UPDATE gen = gen + 1;
