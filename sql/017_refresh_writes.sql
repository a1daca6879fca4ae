-- Issue 16: a distributor pull touches every row it sees (last_seen), a thousand tenants every
-- interval; only a change of what the pages show bumps the tenant's generation (sql/014), so an
-- unchanged pull neither writes tenant_gen once per row nor throws the tenant's cached figures away.

DROP TRIGGER src_companies_gen_update;
CREATE TRIGGER src_companies_gen_update AFTER UPDATE ON src_companies FOR EACH ROW
BEGIN
  IF NOT (OLD.tenant_id <=> NEW.tenant_id AND OLD.connection_id <=> NEW.connection_id
          AND OLD.source_id <=> NEW.source_id AND OLD.name <=> NEW.name AND OLD.gone <=> NEW.gone) THEN
    INSERT INTO tenant_gen (tenant_id, gen) VALUES (NEW.tenant_id, 1) ON DUPLICATE KEY UPDATE gen = gen + 1;
  END IF;
END;

DROP TRIGGER src_subscriptions_gen_update;
CREATE TRIGGER src_subscriptions_gen_update AFTER UPDATE ON src_subscriptions FOR EACH ROW
BEGIN
  IF NOT (OLD.tenant_id <=> NEW.tenant_id AND OLD.connection_id <=> NEW.connection_id
          AND OLD.source_id <=> NEW.source_id AND OLD.company_source_id <=> NEW.company_source_id
          AND OLD.name <=> NEW.name AND OLD.status <=> NEW.status AND OLD.billing_cycle <=> NEW.billing_cycle
          AND OLD.term_months <=> NEW.term_months AND OLD.commitment_end <=> NEW.commitment_end
          AND OLD.auto_renew <=> NEW.auto_renew AND OLD.gone <=> NEW.gone) THEN
    INSERT INTO tenant_gen (tenant_id, gen) VALUES (NEW.tenant_id, 1) ON DUPLICATE KEY UPDATE gen = gen + 1;
  END IF;
END;

DROP TRIGGER src_resources_gen_update;
CREATE TRIGGER src_resources_gen_update AFTER UPDATE ON src_resources FOR EACH ROW
BEGIN
  IF NOT (OLD.tenant_id <=> NEW.tenant_id AND OLD.connection_id <=> NEW.connection_id
          AND OLD.source_id <=> NEW.source_id AND OLD.subscription_source_id <=> NEW.subscription_source_id
          AND OLD.company_source_id <=> NEW.company_source_id AND OLD.name <=> NEW.name AND OLD.sku <=> NEW.sku
          AND OLD.quantity <=> NEW.quantity AND OLD.unit_cost <=> NEW.unit_cost
          AND OLD.unit_price <=> NEW.unit_price AND OLD.currency <=> NEW.currency
          AND OLD.billing_cycle <=> NEW.billing_cycle AND OLD.term_months <=> NEW.term_months
          AND OLD.commitment_end <=> NEW.commitment_end AND OLD.status <=> NEW.status
          AND OLD.gone <=> NEW.gone) THEN
    INSERT INTO tenant_gen (tenant_id, gen) VALUES (NEW.tenant_id, 1) ON DUPLICATE KEY UPDATE gen = gen + 1;
  END IF;
END;

-- The PSA's lists (refreshed daily and on the mapping page's Refresh) the same way.
DROP TRIGGER psa_companies_gen_update;
CREATE TRIGGER psa_companies_gen_update AFTER UPDATE ON psa_companies FOR EACH ROW
BEGIN
  IF NOT (OLD.tenant_id <=> NEW.tenant_id AND OLD.connection_id <=> NEW.connection_id
          AND OLD.psa_id <=> NEW.psa_id AND OLD.name <=> NEW.name AND OLD.active <=> NEW.active
          AND OLD.gone <=> NEW.gone) THEN
    INSERT INTO tenant_gen (tenant_id, gen) VALUES (NEW.tenant_id, 1) ON DUPLICATE KEY UPDATE gen = gen + 1;
  END IF;
END;

DROP TRIGGER psa_contracts_gen_update;
CREATE TRIGGER psa_contracts_gen_update AFTER UPDATE ON psa_contracts FOR EACH ROW
BEGIN
  IF NOT (OLD.tenant_id <=> NEW.tenant_id AND OLD.connection_id <=> NEW.connection_id
          AND OLD.psa_id <=> NEW.psa_id AND OLD.company_psa_id <=> NEW.company_psa_id AND OLD.name <=> NEW.name
          AND OLD.contract_type <=> NEW.contract_type AND OLD.start_date <=> NEW.start_date
          AND OLD.end_date <=> NEW.end_date AND OLD.billing_start <=> NEW.billing_start
          AND OLD.active <=> NEW.active AND OLD.prorate <=> NEW.prorate AND OLD.cycle_months <=> NEW.cycle_months
          AND OLD.gone <=> NEW.gone) THEN
    INSERT INTO tenant_gen (tenant_id, gen) VALUES (NEW.tenant_id, 1) ON DUPLICATE KEY UPDATE gen = gen + 1;
  END IF;
END;

DROP TRIGGER psa_services_gen_update;
CREATE TRIGGER psa_services_gen_update AFTER UPDATE ON psa_services FOR EACH ROW
BEGIN
  IF NOT (OLD.tenant_id <=> NEW.tenant_id AND OLD.connection_id <=> NEW.connection_id
          AND OLD.psa_id <=> NEW.psa_id AND OLD.name <=> NEW.name AND OLD.sku <=> NEW.sku
          AND OLD.unit_price <=> NEW.unit_price AND OLD.unit_cost <=> NEW.unit_cost
          AND OLD.active <=> NEW.active AND OLD.gone <=> NEW.gone) THEN
    INSERT INTO tenant_gen (tenant_id, gen) VALUES (NEW.tenant_id, 1) ON DUPLICATE KEY UPDATE gen = gen + 1;
  END IF;
END;
