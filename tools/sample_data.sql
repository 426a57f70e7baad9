--
-- sample_data.sql: a few rows for the demo (tools/demo.sh) to work on.
-- Apply after leadstore_data_model.sql, in the same schema.
--
INSERT INTO business_units (id, name) VALUES
	('bu-digital', 'Digital Experience'),
	('bu-commerce', 'Commerce');

INSERT INTO technologies (id, name, business_unit_id, category, is_default) VALUES
	('tech-drupal', 'Drupal', 'bu-digital', 'CMS', true),
	('tech-aem', 'Adobe Experience Manager', 'bu-digital', 'CMS', false),
	('tech-nextjs', 'Next.js', 'bu-digital', 'Framework', false),
	('tech-shopware', 'Shopware', 'bu-commerce', 'CMS', true);

INSERT INTO rfps (id, title) VALUES
	('rfp-city-portal', 'City of Springfield: citizen portal relaunch'),
	('rfp-webshop', 'Globex: B2B webshop');

INSERT INTO leads (id, rfp_id, business_unit_id, customer_name) VALUES
	('lead-springfield', 'rfp-city-portal', 'bu-digital', 'City of Springfield'),
	('lead-globex', 'rfp-webshop', 'bu-commerce', 'Globex Corporation');
