CREATE INDEX consent_changed IF NOT EXISTS FOR (c:Consent) ON (c.changed_at);
CREATE INDEX request_changed IF NOT EXISTS FOR (r:Request) ON (r.changed_at);
