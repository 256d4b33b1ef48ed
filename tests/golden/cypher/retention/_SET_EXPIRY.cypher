SET h.expires_at = CASE WHEN row.expires_at IS NULL THEN null
                        ELSE datetime({epochMillis: row.expires_at}) END,
    h.retention_rule = row.rule, h.retention_trigger = row.trigger,
    h.retention_moment = row.moment, h.expiry_event = row.event_id,
    h.legal_obligation = row.legal_obligation, h.legal_rule = row.legal_rule,
    h.legal_until = CASE WHEN row.legal_until IS NULL THEN null
                         ELSE datetime({epochMillis: row.legal_until}) END,
    h.expiry_action = row.action,
    h.archive_until = CASE WHEN row.archive_until IS NULL THEN null
                           ELSE datetime({epochMillis: row.archive_until}) END,
    h.expiry_checked = true
