CREATE INDEX holding_state IF NOT EXISTS FOR (h:Holding) ON (h.state);
CREATE INDEX holding_expires IF NOT EXISTS FOR (h:Holding) ON (h.expires_at);
CREATE INDEX holding_held_kind IF NOT EXISTS FOR (h:Holding) ON (h.state, h.category, h.subject_type);
CREATE INDEX auditentry_at IF NOT EXISTS FOR (e:AuditEntry) ON (e.at);
CREATE INDEX apiclient_token IF NOT EXISTS FOR (c:ApiClient) ON (c.token_hash);
CREATE INDEX websession_actor IF NOT EXISTS FOR (w:WebSession) ON (w.actor, w.kind);
CREATE INDEX hold_covers IF NOT EXISTS FOR (hold:Hold) ON (hold.covers);
