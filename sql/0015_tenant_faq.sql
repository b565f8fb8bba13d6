-- purpose: the FAQ (up to 200 entries) leaves the configuration document that every message, token and widget request
-- reads (through the node's cache); it is read where it is used: the development brain, the admin API, the console
ALTER TABLE tenants ADD COLUMN faq jsonb NOT NULL DEFAULT '[]'::jsonb;
UPDATE tenants SET faq = COALESCE(configuration -> 'faq', '[]'::jsonb), configuration = configuration - 'faq';
